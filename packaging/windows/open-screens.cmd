@echo off
rem Opens the tayori staff screens: starts the agent's service (minimized;
rem closing its window stops it) if it does not run yet, then asks it for a
rem fresh sign-in address and hands that to the browser.
chcp 65001 >nul
cd /d "%~dp0"
tayori-agent.exe open >nul 2>&1
if not errorlevel 1 exit /b 0
start "tayori" /min "%~dp0tayori-agent.exe" serve
set tries=0
:wait
rem About a second: ping waits that long between its two echoes.
ping -n 2 127.0.0.1 >nul
tayori-agent.exe open >nul 2>&1
if not errorlevel 1 exit /b 0
set /a tries+=1
if %tries% lss 20 goto wait
rem Still no answer: show the agent's own message, in Japanese.
tayori-agent.exe open
pause
exit /b 1
