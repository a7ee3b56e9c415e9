@echo off
rem First start on an office PC: sets up this terminal with the office
rem certificate in certs\ (cert.pem, key.pem, ca.pem) and the broker's
rem address and key (certs\broker.info, from the operator), then registers
rem it with the broker. The agent prints what to do if something is wrong.
chcp 65001 >nul
cd /d "%~dp0"
set "broker="
set "broker_key="
if exist "certs\broker.info" (
  for /f "usebackq tokens=1,*" %%a in ("certs\broker.info") do (
    if "%%a"=="endpoint:" set "broker=%%~b"
    if "%%a"=="public_key:" set "broker_key=%%~b"
  )
)
tayori-agent.exe init --broker "%broker%" --broker-key "%broker_key%" --cert "certs\cert.pem" --key "certs\key.pem" --ca "certs\ca.pem"
if errorlevel 1 goto failed
tayori-agent.exe enrol
if errorlevel 1 goto failed
tayori-agent.exe status
pause
exit /b 0
:failed
pause
exit /b 1
