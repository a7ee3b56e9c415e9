@echo off
rem First start on an office PC: sets up this terminal with the office
rem certificate in certs\ (cert.pem, key.pem, ca.pem) and the broker's
rem address and key (certs\broker.info, from the operator), then registers
rem it with the broker. The agent prints what to do if something is wrong.
chcp 65001 >nul
cd /d "%~dp0"
rem Run again on a terminal already set up (say, after a failed first
rem registration): keep its keys and only register it again.
if exist "%LOCALAPPDATA%\tayori\agent\agent.yaml" goto enrol
tayori-agent.exe init --broker-info "certs\broker.info" --cert "certs\cert.pem" --key "certs\key.pem" --ca "certs\ca.pem"
if errorlevel 1 goto failed
:enrol
tayori-agent.exe enrol
if errorlevel 1 goto failed
tayori-agent.exe status
pause
exit /b 0
:failed
pause
exit /b 1
