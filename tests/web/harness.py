"""A real exchange for the browser tests: a broker on port 0 with a temp
data folder, a test CA, registered offices with enrolled agents, and
`tayori-agent serve` for the offices whose screens are opened. Plus a
headless Chromium (Debian's, through python3-selenium) signed in to one."""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait


class Proc:
    """A child process whose stdout lines are collected as they come."""

    def __init__(self, args, env, log):
        self.lines = []
        self.log = open(log, "wb")
        self.p = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=self.log)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def wait_line(self, pattern, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            for line in self.lines:
                m = re.search(pattern, line)
                if m:
                    return m
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"no line matching {pattern!r}; output so far: {self.lines}; see {self.log.name}")

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


class Office:
    def __init__(self, exchange, number, name, home):
        self.exchange, self.number, self.name, self.home = exchange, number, name, home
        self.download_dir = os.path.join(home, "downloads")
        self.serve_proc = None
        self.url = None
        self.port = None

    def agent(self, *args, check=True):
        return self.exchange.run([self.exchange.bin("tayori-agent"), "--home", self.home, *args], check=check)

    def serve(self, port=0):
        """Starts `serve`; returns the one-time sign-in address."""
        log = os.path.join(self.exchange.dir, f"serve-{self.number}-{time.time():.0f}.log")
        self.serve_proc = Proc([self.exchange.bin("tayori-agent"), "--home", self.home, "serve", "--listen",
                                f"127.0.0.1:{port}"], self.exchange.env, log)
        m = self.serve_proc.wait_line(r"^url: (http://127\.0\.0\.1:(\d+)/\S+)")
        self.url, self.port = m.group(1), int(m.group(2))
        return self.url

    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def stop_serve(self):
        if self.serve_proc:
            self.serve_proc.stop()
            self.serve_proc = None


class Exchange:
    def __init__(self, build_dir):
        self.build_dir = os.path.abspath(build_dir)
        self.dir = tempfile.mkdtemp(prefix="tayori-web-")
        self.env = dict(os.environ, XDG_STATE_HOME=os.path.join(self.dir, "state"), LANG="C.UTF-8")
        self.ca = os.path.join(self.dir, "ca")
        self.data = os.path.join(self.dir, "broker-data")
        self.broker = None
        self.offices = {}

    def bin(self, name):
        return os.path.join(self.build_dir, "bin", name)

    def run(self, args, check=True):
        r = subprocess.run(args, env=self.env, capture_output=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
        return r

    def admin(self, *args):
        return self.run([self.bin("tayori-admin"), *args])

    def start(self):
        self.run([self.bin("tayori-admin"), "ca", "init", "--dir", self.ca])
        config = os.path.join(self.dir, "broker.yaml")
        with open(config, "w") as f:
            f.write(f"endpoint: tcp://127.0.0.1:0\nadmin_endpoint: tcp://127.0.0.1:0\ndata_dir: {self.data}\n"
                    f"ca_cert: {self.ca}/ca.pem\nca_crl: {self.ca}/crl.pem\nmetrics_endpoint: 127.0.0.1:0\n")
        self.broker = Proc([self.bin("tayori-broker"), "--config", config], self.env, os.path.join(self.dir, "broker.log"))
        self.broker.wait_line(r"^data_dir:")
        self.endpoint = self.broker.wait_line(r"endpoint: (tcp://127\.0\.0\.1:\d+)").group(1)
        self.key = self.broker.wait_line(r"public_key: (\S{40})").group(1)

    def add_office(self, number, name, cert_type="care-insurance"):
        self.admin("office", "add", number, "--name", name, "--broker-dir", self.data)
        certs = os.path.join(self.dir, "certs", number)
        user = "KJ" + number.rjust(12, "0")
        self.admin("ca", "issue", "--dir", self.ca, "--office", number, "--user", user, "--type", cert_type, "--out", certs)
        office = Office(self, number, name, os.path.join(self.dir, "home-" + number))
        office.agent("init", "--broker", self.endpoint, "--broker-key", self.key, "--cert", certs + "/cert.pem",
                     "--key", certs + "/key.pem", "--ca", self.ca + "/ca.pem")
        office.agent("enrol")
        with open(os.path.join(office.home, "agent.yaml"), "a") as f:
            f.write(f"\ndownload_dir: {office.download_dir}\n")
        self.offices[number] = office
        return office

    def stop(self, keep=False):
        for o in self.offices.values():
            o.stop_serve()
        if self.broker:
            self.broker.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def browser():
    """Debian's Chromium, headless, with a fresh profile and a 1366×768 view."""
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--user-data-dir=" + tempfile.mkdtemp(prefix="tayori-chromium-"), "--window-size=1366,768"]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False})
    d.set_script_timeout(30)
    return d


def wait(d, cond, timeout=20, what="condition"):
    """Waits for COND; a page redrawn while it is read is read again."""
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.1,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
            lambda _: cond())
    except Exception as e:
        raise AssertionError(f"timed out waiting for {what}") from e
