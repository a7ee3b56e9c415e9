@echo off
rem First start on an office PC: sets up this terminal with the office
rem certificate in certs\ (cert.pem, key.pem, ca.pem) and the broker's
rem address and key (certs\broker.info, from the operator), then registers
rem it with the broker. The agent prints what to do if something is wrong.
chcp 65001 >nul
cd /d "%~dp0"
rem Run again on a terminal already set up (after a failed registration, or
rem with a corrected broker.info), init keeps the terminal's keys and only
rem takes the broker's address and key again.
tayori-agent.exe init --broker-info "certs\broker.info" --cert "certs\cert.pem" --key "certs\key.pem" --ca "certs\ca.pem"
if errorlevel 1 goto failed
tayori-agent.exe enrol
if errorlevel 1 goto failed
tayori-agent.exe status
pause
exit /b 0
:failed
pause
exit /b 1
