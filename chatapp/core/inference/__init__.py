"""Models behind one backend interface: llama.cpp's engine, templates, metrics."""
