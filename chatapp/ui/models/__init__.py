"""The model manager: Discover, Downloads, Library, and its Hub/download threads."""
