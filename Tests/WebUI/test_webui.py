"""The web UI in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against
`partybus up` on the built-in simulator and its scene, over TCP with a bearer token.

Run by Tests/CLITests/WebUITests.swift (`swift test`), which passes the built executable in PARTYBUS_EXECUTABLE;
by hand: `.venv-test/bin/python -m pytest Tests/WebUI -q` after `swift build`. Screenshots go to
.build/test-artifacts/webui/.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".build" / "test-artifacts" / "webui"
CHROMIUM = os.environ.get("PARTYBUS_CHROMIUM", "/usr/bin/chromium")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
# Generous: the machine may be busy; the UI itself is much faster than this.
WAIT_MS = 20_000


def executable() -> str:
    path = os.environ.get("PARTYBUS_EXECUTABLE") or str(ROOT / ".build" / "debug" / "partybus")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no partybus executable at {path} (swift build first, or set PARTYBUS_EXECUTABLE)")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Daemon:
    """`partybus up` in a temporary data folder, with the TCP listener and a token."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="partybus-webui-"))
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.base = f"http://127.0.0.1:{self.port}"
        # A copy of the shipped graphs, so nothing the browser does can touch the repository's files.
        shutil.copytree(ROOT / "pipelines", self.folder / "pipelines")
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("PARTYBUS_")}
        self.env.update({
            "PARTYBUS_API__LISTEN": f"127.0.0.1:{self.port}",
            "PARTYBUS_API__TOKEN": self.token,
            "PARTYBUS_VOICE__GRAPH": str(self.folder / "pipelines" / "headless-test.yaml"),
            "PARTYBUS_VOICE__TEST__OUTPUT": str(self.folder / "mix.wav"),
        })
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / "daemon.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [executable(), "up", "--data-dir", str(self.folder), "--config", "/dev/null"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def get(self, path: str, token: bool = True):
        request = urllib.request.Request(self.base + path)
        if token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def wait_ready(self, timeout: float = 90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"partybus up exited with {self.process.returncode}:\n{self.log_path.read_text()[-4000:]}")
            try:
                if self.get("/v1/status")["push"]["state"] == "connected":
                    return
            except (urllib.error.URLError, ConnectionError, OSError, KeyError):
                pass
            time.sleep(0.2)
        pytest.fail(f"partybus up did not get ready in {timeout} s:\n{self.log_path.read_text()[-4000:]}")

    def cli(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [executable(), *arguments, "--data-dir", str(self.folder), "--config", "/dev/null"],
            cwd=ROOT, env={k: v for k, v in self.env.items() if not k.startswith("PARTYBUS_API__")},
            capture_output=True, text=True, timeout=60)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def daemon():
    running = Daemon()
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM} (scripts/install-deps.sh installs Debian's chromium)")
    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield launched
        launched.close()


class Session:
    """One signed-in tab: the token entered once at the page's prompt; console problems collected."""

    def __init__(self, browser, daemon):
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme="light")
        self.page = self.context.new_page()
        self.console = []
        self.page.on("console", lambda message: self.console.append((message.type, message.text)))
        self.page.on("pageerror", lambda error: self.console.append(("pageerror", str(error))))
        self.first = self.page.goto(daemon.base + "/")

    def shot(self, name: str, full_page: bool = True):
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="module")
def session(browser, daemon):
    tab = Session(browser, daemon)
    yield tab
    tab.context.close()


def test_token_prompt_and_security_headers(session, daemon):
    page = session.page
    assert session.first.status == 200
    headers = session.first.headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    # The API itself still wants the token; the page asks for it.
    with pytest.raises(urllib.error.HTTPError) as refused:
        daemon.get("/v1/status", token=False)
    assert refused.value.code == 401
    expect(page.locator("#gate")).to_be_visible(timeout=WAIT_MS)
    session.shot("01-token-prompt")
    page.fill("#token-input", "wrong-token")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#token-error")).to_contain_text("refused", timeout=WAIT_MS)
    page.fill("#token-input", daemon.token)
    page.click("#token-form button[type=submit]")
    expect(page.locator("#app")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#feed-state")).to_have_text("live", timeout=WAIT_MS)
    assert page.evaluate("sessionStorage.getItem('partybus.apiToken')") == daemon.token
    assert daemon.token not in page.content(), "the token is rendered"
    assert page.input_value("#token-input") == ""


def test_scene_party_and_speaking_members(session, daemon):
    page = session.page
    party = page.locator("#party-list .party", has_text="PartyBus demo")
    expect(party).to_be_visible(timeout=WAIT_MS)
    # The simulated members join and send their tones: voice.speaking lights their indicators.
    members = page.locator("#members tbody tr")
    expect(members).to_have_count(3, timeout=WAIT_MS)
    lit = page.locator("#members tr:not(:has-text('(you)')) .speak.speaking")
    expect(lit.first).to_be_visible(timeout=WAIT_MS)
    session.shot("02-party-speaking")
    speakers = lit.evaluate_all("elements => elements.map(e => e.dataset.speaker)")
    assert speakers, "no member lit"
    events = daemon.get("/v1/events?type=voice.speaking&last=50")["events"]
    assert any(e["payload"]["peer"] in speakers and e["payload"]["speaking"] for e in events), events
    expect(page.locator("#voice-graph")).to_contain_text("headless-test")


def test_mute_toggle(session, daemon):
    page = session.page
    toggle = page.locator("#mute-toggle")
    expect(toggle).to_have_text("Mute mic", timeout=WAIT_MS)
    toggle.click()
    expect(page.locator("#mute-toggle")).to_have_text("Unmute mic", timeout=WAIT_MS)
    assert daemon.get("/v1/voice")["muted"] is True
    session.shot("03-muted")
    page.locator("#mute-toggle").click()
    expect(page.locator("#mute-toggle")).to_have_text("Mute mic", timeout=WAIT_MS)
    assert daemon.get("/v1/voice")["muted"] is False


def test_member_volume(session, daemon):
    page = session.page
    row = page.locator("#members tbody tr:not(:has-text('(you)'))").first
    peer = row.get_attribute("data-peer")
    row.locator("input.volume").fill("50")
    expect(page.locator(f"#members tr[data-peer='{peer}'] .volume-value")).to_have_text("50%", timeout=WAIT_MS)
    deadline = time.monotonic() + WAIT_MS / 1000
    volume = None
    while time.monotonic() < deadline:
        volume = next((p["volume"] for p in daemon.get("/v1/voice")["peers"] if p["peer"] == peer), None)
        if volume == 0.5:
            break
        time.sleep(0.1)
    assert volume == 0.5, volume


def test_invite_and_sign_in_link(session, daemon):
    page = session.page
    demo = page.locator("#party-list .party", has_text="PartyBus demo")
    demo.locator("input.invitee").fill("4000000000000000004")
    demo.locator("button", has_text="Invite").click()
    expect(page.locator("#toast")).to_contain_text("Invited 4000000000000000004", timeout=WAIT_MS)
    page.click("#account-panel details.signin summary")
    page.click("text=Get the sign-in link")
    link = page.locator("#authorize-link")
    expect(link).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/"), timeout=WAIT_MS)
    assert link.get_attribute("rel") == "noopener noreferrer"
    page.fill("#redirect-input", "https://example.invalid/?nothing=here")
    page.locator("#account-panel button", has_text="Sign in").click()
    expect(page.locator("#toast.error")).to_be_visible(timeout=WAIT_MS)
    page.click("#account-panel details.signin summary")


def test_live_event_from_another_process(session, daemon):
    page = session.page
    name = f"webui-{secrets.token_hex(3)}"
    created = daemon.cli("parties", "create", "--name", name)
    assert created.returncode == 0, created.stdout + created.stderr
    session_id = re.search(r"[0-9a-f]{8}-[0-9a-f-]{27}", created.stdout + created.stderr)
    assert session_id, created.stdout
    row = page.locator("#event-rows tr[data-type='party.created']", has_text=session_id.group(0))
    expect(row).to_be_visible(timeout=WAIT_MS)
    appended = daemon.get(f"/v1/events?type=party.created&last=1")["events"][-1]
    print(f"party.created #{appended['seq']} shown {time.time() * 1000 - appended['at']:.0f} ms after it was appended")
    row.click()
    expect(page.locator("#event-detail")).to_contain_text('"type": "party.created"')
    expect(page.locator("#event-detail")).to_contain_text(name)
    expect(page.locator("#party-list .party", has_text=name)).to_be_visible(timeout=WAIT_MS)
    session.shot("04-live-event")


def test_event_filters(session):
    page = session.page
    page.fill("#filter-type", "party.created")
    page.click("#filter-apply")
    expect(page.locator("#event-rows tr").first).to_have_attribute("data-type", "party.created", timeout=WAIT_MS)
    types = page.locator("#event-rows tr").evaluate_all("rows => rows.map(r => r.dataset.type)")
    assert types and set(types) == {"party.created"}, types
    page.fill("#filter-type", "")
    page.fill("#filter-stream", "voice/*")
    page.click("#filter-apply")
    expect(page.locator("#event-rows tr").first).to_have_attribute("data-type", re.compile(r"^voice\."), timeout=WAIT_MS)
    page.fill("#filter-stream", "")
    page.click("#filter-apply")


def test_graph_editor_marks_the_problem_in_place(session):
    page = session.page
    editor = page.locator("#graph-text")
    expect(editor).to_have_value(re.compile("graph: headless-test"), timeout=WAIT_MS)
    expect(page.locator("#graph-verdict")).to_have_text("checks out", timeout=WAIT_MS)
    text = editor.input_value()
    broken = text.replace("element: wavenc", "element: nosuchwavenc")
    lines = broken.split("\n")
    line = next(i for i, l in enumerate(lines) if "nosuchwavenc" in l) + 1
    column = lines[line - 1].index("nosuchwavenc") + 1
    editor.fill(broken)
    problem = page.locator(f"#graph-problems li[data-line='{line}'][data-column='{column}']")
    expect(problem).to_be_visible(timeout=WAIT_MS)
    expect(problem).to_contain_text(f"{line}:{column}")
    expect(problem).to_contain_text("nosuchwavenc")
    expect(page.locator(f"#graph-gutter .ln.bad[data-line='{line}']")).to_be_visible()
    expect(page.locator(f"#graph-backdrop .col-mark[data-line='{line}'][data-column='{column}']")).to_have_text("n")
    page.locator("#graphs-panel").scroll_into_view_if_needed()
    session.shot("05-graph-problem")
    session.page.locator("#graphs-panel").screenshot(path=str(ARTIFACTS / "05b-graph-editor.png"))
    # Saving is refused and the file is unchanged.
    page.click("#graph-save")
    expect(page.locator("#toast")).to_contain_text("Not saved", timeout=WAIT_MS)
    page.click("text=Revert")
    expect(page.locator("#graph-verdict")).to_have_text("checks out", timeout=WAIT_MS)


def test_event_source_with_access_token(session, daemon):
    """EventSource cannot send headers: on the stream the token may come as ?access_token= (and only there)."""
    page = session.page
    received = page.evaluate("""token => new Promise((resolve) => {
        const source = new EventSource(`/v1/events/stream?from=1&type=party.created&access_token=${encodeURIComponent(token)}`);
        source.addEventListener("party.created", (event) => { source.close(); resolve(JSON.parse(event.data).type); });
        source.onerror = () => { source.close(); resolve("error"); };
        setTimeout(() => { source.close(); resolve("timeout"); }, 10000);
    })""", daemon.token)
    assert received == "party.created"
    refused = page.evaluate("""() => fetch('/v1/events/stream?access_token=nope').then(r => r.status)""")
    assert refused == 401
    elsewhere = page.evaluate("""token => fetch(`/v1/status?access_token=${encodeURIComponent(token)}`).then(r => r.status)""", daemon.token)
    assert elsewhere == 401


def test_no_console_errors_and_no_token_in_logs(session, daemon, browser):
    page = session.page
    session.shot("06-dashboard")
    # The same page in the dark scheme, for looking at.
    dark = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme="dark")
    dark_page = dark.new_page()
    dark_page.goto(daemon.base + "/")
    dark_page.fill("#token-input", daemon.token)
    dark_page.click("#token-form button[type=submit]")
    expect(dark_page.locator("#party-list .party").first).to_be_visible(timeout=WAIT_MS)
    dark_page.wait_for_timeout(1500)
    dark_page.screenshot(path=str(ARTIFACTS / "07-dark.png"), full_page=True)
    dark.close()
    problems = [(kind, text) for kind, text in session.console
                if kind in ("error", "pageerror") and "Failed to load resource" not in text]
    assert not problems, problems
    assert not [text for _, text in session.console if "Content Security Policy" in text]
    assert daemon.token not in daemon.log_path.read_text(errors="replace"), "the token is in the daemon's output"


def test_saving_a_valid_graph_reloads_voice(session, daemon):
    """Last: voice restarts with the saved graph (hot reload), which the other tests should not see."""
    page = session.page
    editor = page.locator("#graph-text")
    text = editor.input_value()
    assert "bitrate: 40000" in text
    editor.fill(text.replace("bitrate: 40000", "bitrate: 32000"))
    expect(page.locator("#graph-verdict")).to_have_text("checks out", timeout=WAIT_MS)
    expect(page.locator("#graph-dirty")).to_have_text("unsaved changes")
    page.click("#graph-save")
    expect(page.locator("#toast")).to_contain_text("Saved headless-test.yaml", timeout=WAIT_MS)
    assert "bitrate: 32000" in (daemon.folder / "pipelines" / "headless-test.yaml").read_text()
    deadline = time.monotonic() + WAIT_MS / 1000
    changed = []
    while time.monotonic() < deadline and not changed:
        changed = [e for e in daemon.get("/v1/events?type=voice.graph_changed&last=5")["events"] if e["payload"]["accepted"]]
        time.sleep(0.2)
    assert changed, "voice did not reload the saved graph"
    expect(page.locator("#graph-dirty")).to_have_text("")
