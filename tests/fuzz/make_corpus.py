#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/.

Seeds are small valid and near-valid inputs that start each fuzz target deep
inside its format; libFuzzer mutates from there. Re-run after changing a
format, then commit the files:  python3 tests/fuzz/make_corpus.py
Standard library only; the output is deterministic.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import struct

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# Must match tests/fuzz/jwt_fuzz.cc.
FUZZ_SECRET = b"switchboard-fuzz-secret-0123456789abcdef"
OTHER_SECRET = b"switchboard-other-fuzz-secret-0123456789"
NOW = 1700000000
LATER = NOW + 3600


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


# --- WebSocket frames (RFC 6455), as a client sends them: masked. -----------

def ws_frame(opcode, payload=b"", fin=True, rsv=0, masked=True, key=b"\x37\xfa\x21\x3d",
             length_form=None):
    out = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    form = length_form or (7 if n <= 125 else 16 if n <= 0xFFFF else 64)
    if form == 7:
        out += bytes([mask_bit | n])
    elif form == 16:
        out += bytes([mask_bit | 126]) + struct.pack(">H", n)
    else:
        out += bytes([mask_bit | 127]) + struct.pack(">Q", n)
    if masked:
        out += key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    else:
        out += payload
    return out


def ws_input(frames, limits=0x36, seed=0x01020304):
    """Byte 0: limits (bits 0-2 message, 3-5 frame; index 6 = 64 KiB), bytes
    1-4: chunking seed (gateway/ws/frame_reader_fuzz.h), then the frames."""
    return bytes([limits]) + struct.pack("<I", seed) + b"".join(frames)


def close_payload(code, reason=b""):
    return struct.pack(">H", code) + reason


def ws_seeds():
    t = "ws_frame_reader_fuzz"
    text, binary, cont, close, ping, pong = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
    write(t, "text", ws_input([ws_frame(text, b"hello")]))
    write(t, "binary", ws_input([ws_frame(binary, bytes(range(40)))]))
    write(t, "fragmented_text_with_ping", ws_input([
        ws_frame(text, b"hel", fin=False), ws_frame(ping, b"p"),
        ws_frame(cont, b"lo \xe2\x82", fin=False), ws_frame(cont, b"\xac")]))
    write(t, "ping_pong_close", ws_input([
        ws_frame(ping, b"are you there"), ws_frame(pong, b""),
        ws_frame(close, close_payload(1000, b"bye"))]))
    write(t, "close_empty", ws_input([ws_frame(close)]))
    write(t, "len16", ws_input([ws_frame(binary, b"x" * 300)]))
    write(t, "len64_small", ws_input([ws_frame(text, b"sixty-four", length_form=64)]))
    write(t, "json_message", ws_input([ws_frame(
        text, b'{"id":"1","join":{"room":"lobby"}}')], seed=0))
    # Near-valid: each breaks one rule.
    write(t, "unmasked", ws_input([ws_frame(text, b"hi", masked=False)]))
    write(t, "rsv1", ws_input([ws_frame(text, b"hi", rsv=0x40)]))
    write(t, "reserved_opcode", ws_input([ws_frame(0x3, b"hi")]))
    write(t, "bad_utf8", ws_input([ws_frame(text, b"\xc3\x28")]))
    write(t, "close_code_1005", ws_input([ws_frame(close, close_payload(1005))]))
    write(t, "close_one_byte", ws_input([ws_frame(close, b"\x03")]))
    write(t, "fragmented_ping", ws_input([ws_frame(ping, b"p", fin=False)]))
    write(t, "ping_126", ws_input([ws_frame(ping, b"p" * 126)]))
    write(t, "continuation_first", ws_input([ws_frame(cont, b"x")]))
    write(t, "text_inside_fragment", ws_input([
        ws_frame(text, b"a", fin=False), ws_frame(text, b"b")]))
    write(t, "too_big_for_16", ws_input([ws_frame(binary, b"y" * 20)], limits=0x12))
    write(t, "data_after_close", ws_input([
        ws_frame(close, close_payload(1001)), ws_frame(text, b"late")]))
    write(t, "truncated_header", ws_input([ws_frame(binary, b"z" * 200)[:3]]))


# --- ClientFrame, protobuf wire format and JSON mapping. -----------------------

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def f_varint(field, n):
    return varint(field << 3) + varint(n)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(field << 3 | 2) + varint(len(data)) + data


def f_double(field, x):
    return varint(field << 3 | 1) + struct.pack("<d", x)


def pb_value(v):
    """google.protobuf.Value."""
    if v is None:
        return f_varint(1, 0)
    if isinstance(v, bool):
        return f_varint(4, int(v))
    if isinstance(v, (int, float)):
        return f_double(2, float(v))
    if isinstance(v, str):
        return f_bytes(3, v)
    if isinstance(v, dict):
        return f_bytes(5, pb_struct(v))
    return f_bytes(6, b"".join(f_bytes(1, pb_value(x)) for x in v))


def pb_struct(d):
    return b"".join(f_bytes(1, f_bytes(1, k) + f_bytes(2, pb_value(v))) for k, v in d.items())


def client_frame_seeds():
    t = "client_frame_fuzz"
    pb, js = b"\x00", b"\x01"  # byte 0: the format

    def j(name, obj):
        write(t, "json_" + name, js + json.dumps(obj, separators=(",", ":")).encode())

    j("connect", {"id": "1", "connect": {"token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
                                         "sessionId": "s-1", "client": "web/1.0",
                                         "joins": [{"room": "lobby", "sinceOffset": "41"}]}})
    j("join_meta", {"id": "2", "join": {"room": "chat:general", "historyLimit": 10,
                                        "presence": True,
                                        "meta": {"name": "Ada", "tags": ["x", 1.5, None, True]}}})
    j("join_snake_case", {"id": 3, "join": {"room": "a", "since_offset": "12"}})
    j("leave", {"id": "4", "leave": {"room": "lobby"}})
    j("publish_json", {"id": "5", "publish": {"room": "lobby", "messageId": "m-1",
                                              "payload": {"json": {"text": "hi", "n": [1, 2]}}}})
    j("publish_text", {"id": "6", "publish": {"room": "lobby", "payload": {"text": "h\u00e9llo"}}})
    j("publish_binary", {"id": "7", "publish": {"room": "lobby",
                                                "payload": {"binary": "AAECAwQ="}}})
    j("ephemeral", {"ephemeral": {"room": "eph:doc", "type": "EPHEMERAL_TYPE_CURSOR",
                                  "payload": {"json": {"x": 3, "y": 4}}}})
    j("ephemeral_custom", {"ephemeral": {"room": "eph:doc", "type": 3, "name": "wave"}})
    j("ping", {"id": "8", "ping": {}})
    j("refresh", {"id": "9", "refresh": {"token": "abc.def.ghi"}})
    j("presence_query", {"id": "10", "presenceQuery": {"room": "lobby", "limit": 50}})
    j("unknown_type", {"id": "11", "subscribe": {"room": "a"}})
    write(t, "json_bad_id", js + b'{"id":"x","ping":{}}')
    write(t, "json_truncated", js + b'{"id":"1","join":{"room":"lob')
    write(t, "json_escapes", js + b'{"publish":{"room":"a","payload":{"text":"\\u00e9\\ud83d\\ude00"}}}')

    join = f_bytes(1, "lobby") + f_varint(2, 41) + f_varint(3, 5) + f_varint(4, 1) + \
        f_bytes(5, pb_struct({"name": "Ada", "age": 36, "tags": ["a", False, None]}))
    write(t, "pb_join", pb + f_varint(1, 2) + f_bytes(11, join))
    write(t, "pb_connect", pb + f_varint(1, 1) + f_bytes(10, f_bytes(1, "t.o.k") + f_bytes(
        2, "s-1") + f_bytes(3, "ios/2") + f_bytes(4, f_bytes(1, "a")) + f_bytes(4, f_bytes(1, "b"))))
    write(t, "pb_publish_binary", pb + f_varint(1, 5) + f_bytes(13, f_bytes(1, "lobby") + f_bytes(
        2, "m-1") + f_bytes(3, f_bytes(1, bytes(range(16))))))
    write(t, "pb_publish_json", pb + f_bytes(13, f_bytes(1, "lobby") + f_bytes(
        3, f_bytes(3, pb_value({"k": [1, "two", {"three": 3.0}]})))))
    write(t, "pb_publish_nan", pb + f_bytes(13, f_bytes(1, "lobby") + f_bytes(
        3, f_bytes(3, f_double(2, float("nan"))))))
    write(t, "pb_ephemeral", pb + f_bytes(14, f_bytes(1, "eph:doc") + f_varint(2, 1) + f_bytes(
        4, f_bytes(2, "typing"))))
    write(t, "pb_leave", pb + f_varint(1, 3) + f_bytes(12, f_bytes(1, "lobby")))
    write(t, "pb_ping", pb + f_varint(1, 4) + f_bytes(15, b""))
    write(t, "pb_refresh", pb + f_bytes(16, f_bytes(1, "x.y.z")))
    write(t, "pb_presence_query", pb + f_bytes(17, f_bytes(1, "lobby") + f_varint(2, 100)))
    write(t, "pb_unknown_field", pb + f_varint(1, 1) + f_varint(99, 1))
    write(t, "pb_two_kinds", pb + f_bytes(15, b"") + f_bytes(12, f_bytes(1, "a")))
    write(t, "pb_truncated", pb + b"\x6a\x10\x0a")
    write(t, "pb_bad_utf8_room", pb + f_bytes(12, f_bytes(1, b"\xc3\x28")))


# --- Room names. ---------------------------------------------------------------

def room_name_seeds():
    t = "room_name_fuzz"
    for name, room in [
            ("lobby", "lobby"), ("namespaced", "chat:general"), ("ephemeral", "eph:typing"),
            ("all_punctuation", "team-1@org=x+y_z"), ("max_length", "r" * 128),
            ("too_long", "r" * 129), ("dot", "a.b"), ("star", "chat:*"), ("gt", "a>"),
            ("space", "a b"), ("tab", "a\tb"), ("non_ascii", "caf\u00e9"), ("eph_only", "eph:"),
            ("nul", "a\x00b"), ("del", "a\x7f")]:
        write(t, name, room)
    write(t, "empty", b"")


# --- JWTs (HS256 with the fuzz secrets), claims and room patterns. --------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jwt(header, payload, secret=FUZZ_SECRET):
    h = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    p = payload if isinstance(payload, bytes) else json.dumps(
        payload, separators=(",", ":")).encode()
    signing_input = b64url(h) + b"." + b64url(p)
    return signing_input + b"." + b64url(hmac.new(secret, signing_input, hashlib.sha256).digest())


def jwt_seeds():
    t = "jwt_fuzz"
    hs = {"alg": "HS256", "typ": "JWT"}
    full = {"sub": "user-1", "iat": NOW - 10, "exp": LATER, "rooms": ["chat:*", "lobby"],
            "publish": ["chat:general"], "meta": {"name": "Ada"}}
    # Mode 0: whole tokens.
    write(t, "token_valid", b"\x00" + jwt(hs, full))
    write(t, "token_kid", b"\x00" + jwt({"alg": "HS256", "kid": "k1"}, {"sub": "u", "exp": LATER}))
    write(t, "token_other_key", b"\x00" + jwt(hs, {"sub": "u2", "exp": LATER}, OTHER_SECRET))
    write(t, "token_expired", b"\x00" + jwt(hs, {"sub": "u", "exp": NOW - 60}))
    write(t, "token_bad_signature", b"\x00" + jwt(hs, {"sub": "u", "exp": LATER})[:-4] + b"AAAA")
    write(t, "token_alg_none", b"\x00" + b64url(b'{"alg":"none"}') + b"." + b64url(
        b'{"sub":"u","exp":1800000000}') + b".")
    write(t, "token_rs256", b"\x00" + jwt({"alg": "RS256"}, {"sub": "u", "exp": LATER}))
    write(t, "token_two_parts", b"\x00eyJhbGciOiJIUzI1NiJ9.e30")
    write(t, "token_padding", b"\x00" + jwt(hs, {"sub": "u", "exp": LATER}) + b"==")
    # Mode 1: payloads, signed by the target.
    for name, payload in [
            ("claims_full", full),
            ("claims_minimal", {"sub": "u", "exp": LATER}),
            ("claims_fraction", {"sub": "u", "exp": NOW + 0.5, "nbf": NOW - 0.25}),
            ("claims_not_yet", {"sub": "u", "exp": LATER, "nbf": LATER - 1}),
            ("claims_read_only", {"sub": "u", "exp": LATER, "rooms": ["*"], "publish": []}),
            ("claims_meta_null", {"sub": "u", "exp": LATER, "meta": None}),
            ("claims_bad_pattern", {"sub": "u", "exp": LATER, "rooms": ["a.b"]}),
            ("claims_empty_sub", {"sub": "", "exp": LATER}),
            ("claims_control_sub", {"sub": "a\nb", "exp": LATER}),
            ("claims_exp_string", {"sub": "u", "exp": str(LATER)})]:
        write(t, name, b"\x01" + json.dumps(payload, separators=(",", ":")).encode())
    write(t, "claims_duplicate_sub", b'\x01{"sub":"a","sub":"b","exp":1700003600}')
    write(t, "claims_not_object", b'\x01["sub","u"]')
    # Mode 2: header and payload, signed by the target.
    for name, header in [
            ("header_plain", b'{"alg":"HS256"}'), ("header_kid", b'{"alg":"HS256","kid":"k1"}'),
            ("header_foreign_kid", b'{"alg":"HS256","kid":"k2"}'),
            ("header_kid_number", b'{"alg":"HS256","kid":1}'),
            ("header_crit", b'{"alg":"HS256","crit":["exp"]}'), ("header_none", b'{"alg":"none"}'),
            ("header_lowercase", b'{"alg":"hs256"}'), ("header_es256", b'{"alg":"ES256"}')]:
        write(t, name, b"\x02" + header + b'\n{"sub":"u","exp":1700003600,"rooms":["a*"]}')
    # Mode 3: "<pattern>\n<room>".
    for name, line in [
            ("pattern_prefix", "chat:*\nchat:general"), ("pattern_star", "*\nlobby"),
            ("pattern_middle", "team-*:general\nteam-a:general"),
            ("pattern_many", "a*b*c\naxxbyyc"), ("pattern_backtrack", "*ab*ab\naabab"),
            ("pattern_double", "**\n"), ("pattern_exact", "lobby\nlobby"),
            ("pattern_dot", "a.*\na.b"), ("pattern_eph", "eph:*\neph:x")]:
        write(t, name, b"\x03" + line.encode())


# --- HTTP upgrade requests (gateway/http_upgrade.h). -----------------------------

def http_upgrade_seeds():
    t = "http_upgrade_fuzz"
    # Byte 0: bits 0-1 the allowed origins (0 same-origin, 1 example.com and
    # *.example.org, 2 "*", 3 localhost:8080), bits 2-7 the read size (0 = 4 KiB).

    def request(target="/ws?token=t.o.k", method="GET", version="1.1", headers=None, drop=()):
        base = [("Host", "gw.example.com:8080"), ("Upgrade", "websocket"),
                ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
        lines = ["%s %s HTTP/%s" % (method, target, version)]
        lines += ["%s: %s" % (k, v) for k, v in base + list(headers or []) if k not in drop]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def w(name, data, origins=0, split=0):
        write(t, name, bytes([(split << 2) | origins]) + data)

    w("token_query_json", request(headers=[("Sec-WebSocket-Protocol", "switchboard.v1.json")]))
    w("token_header_proto", request(target="/ws", headers=[
        ("Sec-WebSocket-Protocol", "chat, switchboard.v1.proto"),
        ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln")]))
    w("format_query", request(target="/ws?format=protobuf&token=a%2Bb%20c"))
    w("format_bad", request(target="/ws?format=xml"))
    w("same_origin", request(headers=[("Origin", "https://gw.example.com:8080")]))
    w("foreign_origin", request(headers=[("Origin", "https://evil.example")]))
    w("wildcard_origin", request(headers=[("Origin", "https://a.example.org")]), origins=1)
    w("listed_origin_case", request(headers=[("Origin", "HTTPS://APP.EXAMPLE.COM")]), origins=1)
    w("any_origin", request(headers=[("Origin", "null")]), origins=2)
    w("port_origin", request(headers=[("Origin", "https://x.example.net:8443")]), origins=3)
    w("split_in_3", request(headers=[("Sec-WebSocket-Protocol", "switchboard.v1.json")]), split=3)
    w("split_in_1", request(), split=1)
    w("pipelined_frame", request() + b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58")
    # Broken ones.
    w("post", request(method="POST"))
    w("http_1_0", request(version="1.0"))
    w("wrong_path", request(target="/socket"))
    w("no_upgrade_header", request(drop=("Upgrade",)))
    w("version_8", request(headers=[("Sec-WebSocket-Version", "8")], drop=("Sec-WebSocket-Version",)))
    w("short_key", request(headers=[("Sec-WebSocket-Key", "c2hvcnQ=")], drop=("Sec-WebSocket-Key",)))
    w("unknown_subprotocol", request(headers=[("Sec-WebSocket-Protocol", "mqtt")]))
    w("body", request(headers=[("Content-Length", "5")]) + b"hello")
    w("chunked", request(headers=[("Transfer-Encoding", "chunked")]) + b"0\r\n\r\n")
    w("duplicate_key", request(headers=[("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==")]))
    w("folded_header", request(headers=[("X-Folded", "a\r\n b")]))
    w("huge_header", request(headers=[("X-Big", "x" * 9000)]))
    w("truncated", request()[:40])
    w("static_file", b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n")
    w("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")


# --- Control API requests (control/request_validation.h). -----------------------

def control_request_seeds():
    t = "control_request_fuzz"
    # Byte 0: request type << 1 | JSON; the types in control_request_fuzz.cc's order.
    types = ["publish", "broadcast", "get_presence", "get_presence_stats", "get_history",
             "kick_user", "disconnect", "subscribe", "unsubscribe", "watch"]

    def pb(kind, name, data):
        write(t, "pb_%s_%s" % (kind, name), bytes([types.index(kind) << 1]) + data)

    def js(kind, name, obj):
        data = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
        write(t, "json_%s_%s" % (kind, name), bytes([types.index(kind) << 1 | 1]) + data)

    def token(user, connection):
        return b64url(b"1" + user + b"\x00" + connection).decode()

    text = f_bytes(3, f_bytes(2, "hi"))
    pb("publish", "ok", f_bytes(1, "lobby") + f_bytes(2, "m-1") + text)
    pb("publish", "json_payload", f_bytes(1, "eph:cursors") + f_bytes(
        3, f_bytes(3, pb_value({"x": 1, "y": [True, None, "z"]}))))
    pb("publish", "no_payload", f_bytes(1, "lobby"))
    pb("publish", "big_payload", f_bytes(1, "lobby") + f_bytes(3, f_bytes(1, b"\0" * 600)))
    pb("publish", "bad_id", f_bytes(1, "lobby") + f_bytes(2, "a|b") + text)
    pb("publish", "bad_room", f_bytes(1, "a.b") + text)
    js("publish", "ok", {"room": "chat:general", "messageId": "m-2",
                         "payload": {"json": {"text": "hi"}}})
    js("publish", "binary", {"room": "lobby", "payload": {"binary": "AAEC"}})
    pb("broadcast", "ok", f_bytes(1, "a") + f_bytes(1, "eph:b") + f_bytes(1, "c d") + text)
    pb("broadcast", "empty", text)
    js("broadcast", "ok", {"rooms": ["a", "b"], "messageId": "x", "payload": {"text": "t"}})
    pb("get_presence", "first", f_bytes(1, "lobby") + f_varint(2, 10))
    pb("get_presence", "token", f_bytes(1, "lobby") + f_varint(2, 2) +
       f_bytes(3, token(b"alice", b"c1")))
    pb("get_presence", "token_nul_user", f_bytes(1, "lobby") + f_bytes(3, token(b"a\x00b", b"c")))
    pb("get_presence", "bad_token", f_bytes(1, "lobby") + f_bytes(3, "not-a-token"))
    js("get_presence", "token", {"room": "lobby", "pageSize": 1000000,
                                 "pageToken": token(b"bob", b"c2")})
    pb("get_presence_stats", "ok", f_bytes(1, "lobby"))
    js("get_presence_stats", "eph_only", {"room": "eph:"})
    pb("get_history", "after", f_bytes(1, "lobby") + f_varint(2, 41) + f_varint(4, 10))
    pb("get_history", "latest", f_bytes(1, "lobby") + f_varint(3, 1))
    pb("get_history", "ephemeral", f_bytes(1, "eph:typing"))
    js("get_history", "after", {"room": "lobby", "afterOffset": "18446744073709551615"})
    duration = f_varint(1, 600) + f_varint(2, 5)
    pb("kick_user", "ban", f_bytes(1, "user-1") + f_bytes(2, "spam") + f_bytes(3, duration))
    pb("kick_user", "negative_ban", f_bytes(1, "u") + f_bytes(3, f_varint(1, (1 << 64) - 1)))
    pb("kick_user", "mixed_sign_ban", f_bytes(1, "u") + f_bytes(
        3, f_varint(1, 1) + f_varint(2, (1 << 64) - 999999999)))
    pb("kick_user", "long_id", f_bytes(1, "u" * 257))
    js("kick_user", "ban", {"userId": "u", "reason": "r", "banFor": "3600.5s"})
    js("kick_user", "huge_ban", {"userId": "u", "banFor": "315576000000s"})
    pb("disconnect", "ok", f_bytes(1, "conn-1") + f_bytes(2, "bye") + f_varint(3, 1))
    pb("disconnect", "long_reason", f_bytes(1, "c") + f_bytes(2, "r" * 1025))
    js("disconnect", "ok", {"connectionId": "c", "reconnect": True})
    pb("subscribe", "offset", f_bytes(1, "u") + f_bytes(2, "lobby") + f_varint(3, 0) +
       f_varint(4, 1))
    pb("subscribe", "eph_offset", f_bytes(1, "u") + f_bytes(2, "eph:x") + f_varint(3, 7))
    js("subscribe", "ok", {"userId": "u", "room": "lobby", "sinceOffset": "5"})
    pb("unsubscribe", "ok", f_bytes(1, "u") + f_bytes(2, "lobby") + f_bytes(3, "done"))
    js("unsubscribe", "no_room", {"userId": "u"})
    pb("watch", "offset", f_bytes(1, "lobby") + f_varint(2, 3) + f_varint(3, 1))
    pb("watch", "eph_offset", f_bytes(1, "eph:doc") + f_varint(2, 0))
    js("watch", "ok", {"room": "lobby", "presence": True})
    js("watch", "truncated", b'{"room":"lob')
    pb("publish", "bad_utf8_room", f_bytes(1, b"\xc3\x28") + text)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    ws_seeds()
    client_frame_seeds()
    room_name_seeds()
    jwt_seeds()
    http_upgrade_seeds()
    control_request_seeds()


if __name__ == "__main__":
    main()
