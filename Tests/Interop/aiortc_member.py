#!/usr/bin/env python3
"""A party member on an independent WebRTC stack (aiortc), configured like the PlayStation app.

It signs in to the PSN simulator with its own npsso (A.3, A.4), opens its own push socket (E.2, E.3), joins the party
if asked (B.5), and then behaves as the app does on the miranda:12 channel (D): it answers every offer sent to it,
and offers to every member who joins after it (existing members offer to newcomers). Offers and answers are built
and read here from the spec (D.1-D.6), sent with POST customMessage (B.10) under its own token, and received as
customMessage push frames (E.7). Its microphone is a sine tone; what it hears is recorded to a WAV file.

Like the app: Opus only, written opus/16000/2 at payload type 96, fmtp minptime=10;stereo=0;useinbandfec=1, an
m=application data section, ICE host candidates on 127.0.0.1 only (aioice skips loopback unless told), no STUN, and
aiortc's own DTLS client unchanged (ECDSA-authenticated suites only).

Progress goes to stdout as one JSON object a line ({"event": ...}); it stops after --seconds of media or on SIGTERM.
"""

import argparse
import array
import asyncio
import base64
import fractions
import json
import math
import os
import signal
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import aioice.ice
import av
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, codecs
from aiortc.contrib.media import MediaRecorder
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

PREFIX = "ver=1.0, type=binary, body="
FRAMING = b"1/1/1\n"
MOBILE_APP = 100001
PLATFORM_CODES = {"PS5": 5, "MOBILE_APP": MOBILE_APP}
OPUS_FMTP = "minptime=10;stereo=0;useinbandfec=1"


def report(event, **fields):
    line = json.dumps({"event": event, **fields})
    print(line, flush=True)
    if os.environ.get("AIORTC_MEMBER_LOG"):  # debugging: every line, SDPs unshortened
        with open(os.environ["AIORTC_MEMBER_LOG"], "a") as log:
            log.write(line + "\n")


# --- configured like the app ---------------------------------------------------------------------------------------

def configure_stack():
    """Opus only, at 16000 as PSN writes it, payload type 96; ICE on loopback."""
    opus = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=16000, channels=2, payloadType=96,
                                 parameters={"minptime": 10, "stereo": 0, "useinbandfec": 1})
    codecs.CODECS["audio"][:] = [opus]
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    # aiortc's DTLS client as it ships: it offers ECDSA-authenticated suites only, which our webrtcbins serve with
    # their ECDSA certificate (docs/voice.md, "Against an independent WebRTC stack").


def app_sdp(sdp):
    """The app's Opus attributes (aiortc writes no ptime); everything else stays aiortc's."""
    out = []
    for line in sdp.split("\r\n"):
        if line.startswith("a=fmtp:96 "):
            line = "a=fmtp:96 " + OPUS_FMTP
        out.append(line)
        if line.startswith("a=rtpmap:96 "):
            if not any(l.startswith("a=ptime:") for l in sdp.split("\r\n")):
                out.append("a=ptime:40")
    return "\r\n".join(out)


class Tone(MediaStreamTrack):
    """A live sine at `frequency` Hz, 48 kHz mono, 20 ms frames paced in real time."""
    kind = "audio"

    def __init__(self, frequency):
        super().__init__()
        self.frequency = frequency
        self.sent = 0
        self.started = None

    async def recv(self):
        samples = 960
        if self.started is None:
            self.started = time.monotonic()
        wait = self.started + self.sent / 48000 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        step = 2 * math.pi * self.frequency / 48000
        data = array.array("h", (int(9000 * math.sin(step * (self.sent + i))) for i in range(samples)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
        frame.planes[0].update(data.tobytes())
        frame.sample_rate = 48000
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, 48000)
        self.sent += samples
        return frame


# --- miranda:12 (D.1-D.6) ------------------------------------------------------------------------------------------

def audio_mid(sdp):
    in_audio = False
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            in_audio = line.startswith("m=audio ")
        if in_audio and line.startswith("a=mid:"):
            return line[len("a=mid:"):]
    return "0"


def miranda_encode(kind, sdp, sender, sender_platform, target, target_platform, seq):
    user = {"account_id": sender, "platform": sender_platform}
    inner = {
        "from": user, "global_seq_num": seq,
        "medias": [{"media_records": [{"media_identifier": "voice_chat", "mid": audio_mid(sdp)}], "msids": ["0"],
                    "user": user}],
        "sdp": sdp, "sdp_sequence_number": "1",
        "to": {"account_id": target, "platform": target_platform}, "type": kind, "users": [user],
    }
    text = FRAMING + json.dumps(inner, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    header = struct.pack("<QQQQ8sI", 1, 1, int(sender), sender_platform, b"\0" * 8, len(text))
    return PREFIX + base64.b64encode(header + text).decode()


def miranda_decode(payload):
    if not payload.startswith(PREFIX):
        raise ValueError("no miranda prefix")
    binary = base64.b64decode(payload[len(PREFIX):], validate=True)
    if len(binary) < 50:
        raise ValueError("too short")
    (length,) = struct.unpack_from("<I", binary, 40)
    if length != len(binary) - 44 or binary[44:50] != FRAMING:
        raise ValueError("bad header or framing")
    return json.loads(binary[50:].decode())


# --- PSN over HTTP ---------------------------------------------------------------------------------------------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class PSN:
    def __init__(self, base, client_id, client_secret, redirect):
        self.base = base.rstrip("/")
        self.client_id, self.client_secret, self.redirect = client_id, client_secret, redirect
        self.token = ""

    def _call(self, method, path, body=None, headers=None, form=False):
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = (urllib.parse.urlencode(body) if form else json.dumps(body, separators=(",", ":"))).encode()
            headers["Content-Type"] = ("application/x-www-form-urlencoded" if form
                                       else "application/json; charset=utf-8")
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = "Bearer " + self.token
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, npsso):
        """npsso cookie -> authorization code (A.3) -> access token (A.4)."""
        query = urllib.parse.urlencode({
            "access_type": "offline", "client_id": self.client_id, "redirect_uri": self.redirect,
            "response_type": "code", "scope": "psn:mobile.v2.core psn:clientapp"})
        opener = urllib.request.build_opener(NoRedirect)
        request = urllib.request.Request(f"{self.base}/api/authz/v3/oauth/authorize?{query}",
                                         headers={"Cookie": "npsso=" + npsso})
        try:
            opener.open(request, timeout=10)
            raise RuntimeError("authorize did not redirect")
        except urllib.error.HTTPError as error:
            location = error.headers.get("Location", "")
        code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code", [""])[0]
        if not code:
            raise RuntimeError("no code in " + location)
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        status, reply = self._call("POST", "/api/authz/v3/oauth/token", {
            "token_format": "jwt", "grant_type": "authorization_code", "redirect_uri": self.redirect, "code": code,
        }, headers={"Authorization": "Basic " + basic}, form=True)
        if status != 200:
            raise RuntimeError(f"token: {status} {reply}")
        self.token = reply["access_token"]

    def join(self, session):
        status, reply = self._call("POST", f"/api/sessionManager/v2/partySessions/{session}/members", {
            "members": [{"accountId": "me", "platform": "me", "voiceChatActivated": True,
                         "pushContexts": [{"contextId": "6d6a3a51-61d4-4c5c-9c8e-6b1f6c1c7a11"}]}]})
        if status not in (200, 201):
            raise RuntimeError(f"join: {status} {reply}")

    def custom_message(self, session, payload, account, platform):
        status, reply = self._call("POST", f"/api/sessionManager/v2/partySessions/{session}/customMessage", {
            "channel": "miranda:12", "payload": payload,
            "to": [{"accountId": account, "platform": platform}], "withoutSequenceNumber": True})
        if status != 204:
            raise RuntimeError(f"customMessage: {status} {reply}")


# --- the member --------------------------------------------------------------------------------------------------------

class Member:
    def __init__(self, args):
        self.args = args
        self.psn = PSN(args.base, args.client_id, args.client_secret, args.redirect)
        self.peers = {}          # account id -> RTCPeerConnection
        self.pending = set()     # account ids we offered to and wait for
        self.recorders = []
        self.seq = 0
        self.heard = asyncio.Event()
        self.platform_code = PLATFORM_CODES.get(args.platform, MOBILE_APP)

    def next_seq(self):
        self.seq += 1
        return self.seq

    def new_peer(self, account):
        old = self.peers.pop(account, None)
        if old:
            asyncio.ensure_future(old.close())
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.peers[account] = pc
        pc.addTrack(Tone(self.args.tone))

        @pc.on("track")
        def on_track(track):
            # One file per remote track, in order: <record>-1.wav, <record>-2.wav (a renegotiation adds one).
            recorder = MediaRecorder(f"{self.args.record}-{len(self.recorders) + 1}.wav")
            self.recorders.append(recorder)
            recorder.addTrack(track)
            asyncio.ensure_future(recorder.start())
            report("track", peer=account, kind=track.kind)
            self.heard.set()

        @pc.on("connectionstatechange")
        def on_state():
            report("state", peer=account, state=pc.connectionState)

        @pc.on("datachannel")
        def on_channel(channel):
            report("datachannel", peer=account, label=channel.label)

        return pc

    async def offer(self, session, account, platform):
        pc = self.new_peer(account)
        pc.createDataChannel("partybus-interop")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = app_sdp(pc.localDescription.sdp)
        self.pending.add(account)
        payload = miranda_encode("offer", sdp, self.args.account_id, self.platform_code, account,
                                 PLATFORM_CODES.get(platform, MOBILE_APP), self.next_seq())
        self.psn.custom_message(session, payload, account, platform)
        report("offered", peer=account, sdp=sdp)

    async def answer(self, session, account, platform, sdp):
        pc = self.new_peer(account)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = app_sdp(pc.localDescription.sdp)
        payload = miranda_encode("answer", answer, self.args.account_id, self.platform_code, account,
                                 PLATFORM_CODES.get(platform, MOBILE_APP), self.next_seq())
        self.psn.custom_message(session, payload, account, platform)
        report("answered", peer=account, offer=sdp, sdp=answer)

    async def on_frame(self, frame):
        data = (frame.get("body") or {}).get("data") or {}
        kind = frame.get("dataType", "")
        session = data.get("sessionId")
        if session != self.args.session:
            return
        sender = ((data.get("customProperties") or {}).get("from") or {})
        if kind.endswith(":members:created"):
            for member in data.get("members", []):
                account = member.get("accountId")
                if account and account != self.args.account_id and self.args.offer_newcomers:
                    await self.offer(session, account, member.get("platform", "MOBILE_APP"))
        elif kind.endswith(":customMessage:noSeq:created") or kind.endswith(":customMessage:created"):
            message = data.get("customMessage") or {}
            if message.get("channel") != "miranda:12":
                return
            try:
                inner = miranda_decode(message.get("payload", ""))
            except Exception as error:  # lenient on push (D.6)
                report("ignored", reason=str(error))
                return
            account = inner["from"]["account_id"]
            platform = sender.get("platform", "MOBILE_APP")
            if inner.get("type") == "offer":
                if account in self.pending:
                    report("ignored", reason="glare: our offer stands (we joined earlier)", peer=account)
                    return
                await self.answer(session, account, platform, inner["sdp"])
            elif inner.get("type") == "answer" and account in self.pending:
                self.pending.discard(account)
                await self.peers[account].setRemoteDescription(RTCSessionDescription(sdp=inner["sdp"], type="answer"))
                report("answer_applied", peer=account, sdp=inner["sdp"])

    async def run(self):
        configure_stack()
        self.psn.sign_in(self.args.npsso)
        host = urllib.parse.urlparse(self.args.base).netloc
        async with websockets.connect(f"ws://{host}/np/pushNotification", subprotocols=["np-pushpacket"]) as socket:
            await socket.send(json.dumps({"version": "3.0", "method": 1003, "tranId": "1",
                                          "accountId": self.args.account_id, "status": "active",
                                          "auth": {"accessToken": self.psn.token}}))
            report("push_open")
            if self.args.join:
                self.psn.join(self.args.session)
                report("joined")

            async def frames():
                async for text in socket:
                    try:
                        await self.on_frame(json.loads(text))
                    except Exception as error:
                        report("error", error=repr(error))

            reader = asyncio.ensure_future(frames())
            try:
                await asyncio.wait_for(self.heard.wait(), timeout=self.args.timeout)
                report("hearing")
                await asyncio.sleep(self.args.seconds)
            finally:
                reader.cancel()
                for recorder in self.recorders:
                    await recorder.stop()
                for pc in self.peers.values():
                    await pc.close()
                report("done")


def main():
    if os.environ.get("AIORTC_MEMBER_LOG"):
        import logging
        logging.basicConfig(filename=os.environ["AIORTC_MEMBER_LOG"] + ".debug", level=logging.DEBUG)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--npsso", required=True)
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--platform", default="MOBILE_APP", help="our platform as the party shows it (D.4 from.platform)")
    parser.add_argument("--client-id", default="09515159-7237-4370-9b40-3806e67c0891")
    parser.add_argument("--client-secret", default="sim-client-secret")
    parser.add_argument("--redirect", default="com.scee.psxandroid.scecompcall://redirect")
    parser.add_argument("--session", required=True)
    parser.add_argument("--join", action="store_true", help="join the party (else: already a member)")
    parser.add_argument("--offer-newcomers", action="store_true", help="offer to members who join after us")
    parser.add_argument("--tone", type=float, default=440)
    parser.add_argument("--record", required=True, help="path prefix of the WAV files: <record>-1.wav, …")
    parser.add_argument("--seconds", type=float, default=4, help="media time after the first remote track")
    parser.add_argument("--timeout", type=float, default=30, help="give up when nothing is heard by then")
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    task = loop.create_task(Member(args).run())
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        report("cancelled")
    except Exception as error:
        report("failed", error=repr(error))
        sys.exit(1)


if __name__ == "__main__":
    main()
