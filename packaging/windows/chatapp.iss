; Inno Setup script: the Windows installer around the PyInstaller folder.
; Built by packaging/build_bundle.py on Windows (iscc on PATH), which passes:
;   /DAppVersion=0.1.0 /DSourceDir=dist\chatapp-0.1.0-windows-x86_64-cpu
;   /DOutputDir=dist /DOutputBase=chatapp-0.1.0-windows-x86_64-cpu-setup /DIconFile=...\chatapp.ico
; Installs per user (no administrator rights), into %LOCALAPPDATA%\Programs\chatapp, with a Start
; menu entry, an optional desktop icon and an uninstaller. Conversations, settings and models live
; in the user's AppData folders and are left in place by the uninstaller.

#ifndef AppVersion
  #error Pass /DAppVersion=X.Y.Z (build_bundle.py does)
#endif

[Setup]
AppId={{6F1C2B7E-3D4A-4E8B-9C51-2A7D0E6B4F13}
AppName=chatapp
AppVersion={#AppVersion}
AppVerName=chatapp {#AppVersion}
AppPublisher=chatapp developers
DefaultDirName={autopf}\chatapp
DefaultGroupName=chatapp
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#OutputBase}
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\chatapp.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An update replaces the whole runtime folder: no library of an older (or CUDA) build stays.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\chatapp"; Filename: "{app}\chatapp.exe"
Name: "{group}\Uninstall chatapp"; Filename: "{uninstallexe}"
Name: "{autodesktop}\chatapp"; Filename: "{app}\chatapp.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\chatapp.exe"; Description: "{cm:LaunchProgram,chatapp}"; Flags: nowait postinstall skipifsilent
