#!/usr/bin/env python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Writes the seed corpora fuzz/corpus/<target>/seed-NNN, laid out the way each harness reads its
# input (FuzzedDataProvider: integers and booleans from the END of the input, strings from the
# front, a string ended by a backslash followed by any other byte). Run it again after changing a
# harness's input layout; the files it writes are committed.
import base64
import hashlib
import hmac
import json
import os
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NOW = 1748499421  # the harnesses' clock, seconds


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def jwt(header, payload, key=b"K" * 48):
    h = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    p = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    signing = b64u(h) + b"." + b64u(p)
    return signing + b"." + b64u(hmac.new(key, signing, hashlib.sha256).digest())


def s(text):
    """A FuzzedDataProvider random-length string: backslashes doubled, then a terminator."""
    if isinstance(text, str):
        text = text.encode()
    return text.replace(b"\\", b"\\\\") + b"\\ "


def write(target, seeds):
    d = os.path.join(ROOT, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, seed in enumerate(seeds):
        with open(os.path.join(d, "seed-%03d" % i), "wb") as f:
            f.write(seed if isinstance(seed, bytes) else seed.encode())


H = {"kid": "1", "alg": "HS256"}
P = {"uid": 1, "utypid": 3, "iat": NOW, "exp": NOW + 3600}

# token_verify: mode is the last byte (0 raw token, 1 header\payload signed, 2 EncodeCustomerJwt).
tokens = [
    jwt(H, P),
    jwt({"kid": "1", "alg": "none"}, P).rsplit(b".", 1)[0] + b".",
    jwt({"kid": "1", "alg": "HS512"}, P),
    jwt({"kid": "1", "alg": "RS256"}, P),
    jwt({"kid": "9", "alg": "HS256"}, P),
    jwt({"kid": "1", "alg": "HS256", "crit": ["exp"]}, P),
    jwt(H, {"uid": 1, "utypid": 3, "iat": NOW, "exp": NOW - 3600}),
    b"ar4116zozoagxty1xjn4lj13kim36r6x",
    b"a.b.c.d",
    b"..",
]
seeds = [t + b"\x00" for t in tokens]
seeds += [s(json.dumps(H)) + json.dumps(P).encode() + b"\x01",
          s('{"kid":"1","alg":"HS256","kid":"1"}') + json.dumps(P).encode() + b"\x01",
          s(json.dumps(H)) + b'{"uid":1.5,"utypid":3,"iat":1,"exp":99999999999}\x01',
          s(json.dumps(H)) + b'{"uid":"1","utypid":3,"iat":-1,"exp":9223372036854775807}\x01',
          s('{"kid":"1","alg":"HS256","typ":"JWT"}') + b'{"uid":1,"utypid":3,"iat":1748499421,"exp":1748503021,"x":null}\x01',
          b"\x00" * 24 + b"\x02"]
write("token_verify", seeds)

# oauth_header: the same bytes go to every parser.
AUTH = ('OAuth realm="Example", oauth_consumer_key="%s", oauth_token="%s", '
        'oauth_signature_method="HMAC-SHA256", oauth_timestamp="%d", oauth_nonce="abc%%20def", '
        'oauth_version="1.0", oauth_signature="wOJIO9A2W5mFwDgiDvZbTSMK%%2FPY%%3D"'
        % ("k" * 32, "t" * 32, NOW))
write("oauth_header", [
    AUTH,
    'OAuth oauth_nonce="a", oauth_nonce="b"',
    "oauth a=b,c=d,,e=\"%41%zz\"",
    "Bearer abc",
    "https://Shop.Example:443/graphql?x=1#frag",
    "http://[::1]:8080/a%20b",
    "a=1&b=%20+c&&d",
    "%E2%82%AC%",
    "https://h:0443/p#?a=1",
    "https://h:00000/p",
    # Many names: distinct, repeated (the parsers find duplicates through a hash set).
    "OAuth " + ", ".join('oauth_x%d="v"' % i for i in range(3000)),
    "OAuth " + ", ".join('oauth_nonce="%d"' % i for i in range(3000)),
    "OAuth " + ", ".join('oauth_x%d="v"' % i for i in range(3000)) + ', oauth_x2999="again"',
    "&".join("oauth_x%d=v" % (i % 97) for i in range(5000)),
])

# oauth_request: method\ url\ content_type\ body\ then the Authorization header.
def req(method, url, ctype, body, auth):
    return s(method) + s(url) + s(ctype) + s(body) + auth.encode()

write("oauth_request", [
    req("POST", "https://shop.example/graphql", "application/json", "{}", AUTH),
    req("post", "http://shop.example:80/graphql?oauth_token=" + "t" * 32, "application/x-www-form-urlencoded; charset=utf-8",
        "oauth_consumer_key=" + "k" * 32 + "&a=b+c", 'OAuth oauth_signature_method="HMAC-SHA1", oauth_timestamp="%d", '
        'oauth_nonce="n", oauth_signature="x"' % NOW),
    req("GET", "https://shop.example", "", "", AUTH.replace("HMAC-SHA256", "PLAINTEXT")),
    req("POST", "https://shop.example/graphql", "", "", AUTH.replace('oauth_version="1.0"', 'oauth_version="2.0"')),
    req("POST", "https://shop.example/graphql", "", "", AUTH.replace(str(NOW), str(NOW - 601))),
    req("POST", "https://shop.example/graphql", "", "", AUTH.replace(str(NOW), str(NOW - 600))),
    # The body hash extension, and the URL's edges.
    req("POST", "https://shop.example:0443/graphql#?a=1", "application/json", '{"a":1}',
        AUTH + ', oauth_body_hash="%s"' % base64.b64encode(hashlib.sha1(b'{"a":1}').digest()).decode()),
    req("POST", "https://shop.example/graphql", "application/json", '{"a":2}',
        AUTH + ', oauth_body_hash="AAAA"'),
    # Many names: around the 256-parameter cap, repeated in the header, the query and the body.
    req("POST", "https://shop.example/graphql", "", "",
        AUTH + "".join(', oauth_x%d="v"' % i for i in range(249))),
    req("POST", "https://shop.example/graphql", "", "",
        AUTH + "".join(', oauth_x%d="v"' % i for i in range(300))),
    req("POST", "https://shop.example/graphql?" + "&".join("oauth_nonce=%d" % i for i in range(40)),
        "application/x-www-form-urlencoded", "&".join("oauth_token=%d" % i for i in range(60)), AUTH),
    req("POST", "https://shop.example/graphql", "", "",
        AUTH + "".join(', oauth_nonce%d="v"' % (i % 50) for i in range(3000))),
])

# exchange_input: the input JSON. Odd lengths take the GraphQL-shaped path.
inputs = [
    {"customer": {"email": "bob@example.com", "firstname": "Bob", "lastname": "Loblaw"}},
    {"customer": {"email": "Roni_Cost@Example.com", "firstname": "Roni", "lastname": "Cost", "is_subscribed": True}},
    {"customer": {"email": "bob@example.com", "firstname": "Bob"}},
    {"customer": {"email": "bob@example.com", "firstname": "Bob", "lastname": "L", "xyz": 1}},
    {"customer": {"email": "not-an-email", "firstname": "Bob", "lastname": "Loblaw"}},
    {"customer": {"email": 5, "firstname": ["Bob"], "lastname": None}},
    {"other": {}},
]
seeds = [json.dumps(i) for i in inputs]
seeds += [x + " " for x in seeds]  # both parities
seeds += ['{"customer":{"email":"a@b.co","email":"c@d.co","firstname":"A","lastname":"B"}}',
          '[[[[[[[[[[]]]]]]]]]]', '{"customer":{"email":"a@b.co","firstname":"\\u0000","lastname":"B"}}']
# Deep nesting: refused before anything recursive runs (10^4 levels; and one level past the cap).
DEEP = "[" * 10000 + "]" * 10000
seeds += ['{"customer":' + DEEP + "}", '{"customer":{"email":' + "[" * 8 + "]" * 8 + "}}",
          '{"customer":' + "{\"a\":" * 5000 + "1" + "}" * 5000 + "}"]
write("exchange_input", seeds)

# capi_call: context\ args, then the null-context flag byte and the operation byte (at the end).
OPS = ["customer_create", "customer_update", "customer_find", "generate_customer_token",
       "request_password_reset", "reset_password", "change_password", "issue_otc", "exchange_otc",
       "verify_token", "revoke_customer_tokens", "audit_list", "integration_create",
       "integration_list", "integration_revoke", "integration_set_permissions",
       "exchange_external_customer_token", "keys_generate", "version"]
R = "roni_cost@example.com"
calls = {
    "customer_create": {"email": "bob@example.com", "firstname": "Bob", "lastname": "Loblaw", "password": "b0bl0bl@W"},
    "customer_update": {"email": R, "firstname": "R", "is_active": False},
    "customer_find": {"email": R},
    "generate_customer_token": {"email": R, "password": "Password123"},
    "request_password_reset": {"email": R},
    "reset_password": {"email": R, "token": "A" * 32, "new_password": "Password1234"},
    "change_password": {"email": R, "current_password": "Password123", "new_password": "Password1234"},
    "issue_otc": {"email": R, "admin_id": 7, "reason": "help"},
    "exchange_otc": {"email": R, "code": "0" * 32},
    "verify_token": {"token": jwt(H, P).decode()},
    "revoke_customer_tokens": {"email": R},
    "audit_list": {"after_id": 0, "limit": 10},
    "integration_create": {"name": "social", "permissions": ["exchange_external_customer_token"]},
    "integration_list": {},
    "integration_revoke": {"consumer_key": "k" * 32},
    "integration_set_permissions": {"consumer_key": "k" * 32, "permissions": []},
    "exchange_external_customer_token": {"request": {"method": "POST", "url": "https://shop.example/graphql", "authorization": AUTH},
                                         "input": inputs[0]},
    "keys_generate": {},
    "version": {},
}
seeds = []
for i, op in enumerate(OPS):
    ctx = json.dumps({"client_ip": "203.0.113.7", "actor": "fuzz", "website_id": 1})
    seeds.append(s(ctx) + json.dumps(calls[op]).encode() + b"\x00" + bytes([i]))
seeds.append(s("") + b'{"email":"x@y.zz","email":"z@y.zz"}' + b"\x01" + bytes([2]))
seeds.append(s("{") + b'{}' + b"\x00" + bytes([255]))
# Deep nesting in the context, in the arguments, and in the exchange's input.
EXCHANGE = OPS.index("exchange_external_customer_token")
seeds.append(s('{"client_ip":' + DEEP + "}") + b"{}" + b"\x00" + bytes([OPS.index("version")]))
seeds.append(s("") + ('{"email":' + DEEP + "}").encode() + b"\x01" + bytes([OPS.index("customer_find")]))
seeds.append(s("") + json.dumps({"request": {}, "input": {"customer": None}}).replace("null", DEEP).encode()
             + b"\x01" + bytes([EXCHANGE]))
write("capi_call", seeds)

# email: the raw bytes.
write("email", [
    "roni_cost@example.com", "Bob.Loblaw+tag@sub.Example.co.uk", "a@b.c", "a@b.c0", "a..b@example.com",
    ".a@example.com", "a@-example.com", "a@[127.0.0.1]", '"quoted"@example.com', "x" * 65 + "@example.com",
    "a@" + "b" * 64 + ".com", "a@b@example.com", "a b@example.com", "a@example.com\n", "a\x00@example.com",
    "ü@example.com", "a@xn--bcher-kva.example", "Password123!",
])

# password_verify: password\ then stored (last byte even) or salt\ versions (last byte odd).
SALT = "abcdefghijklmnopqrstuvwxyzABCDEF"
sha_1 = hashlib.sha256((SALT + "Password123").encode()).hexdigest()
write("password_verify", [
    s("Password123") + ("%s:%s:1" % (sha_1, SALT)).encode() + b"\x00",
    s("Password123") + ("%s:%s" % (sha_1, SALT)).encode() + b"\x00",
    s("Password123") + b"0123456789abcdef0123456789abcdef:salt:0\x00",
    s("Password123") + b"00:salt:3_16_1_8192:1:0\x00",
    s("Password123") + b"$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo\x00",
    s("Password123") + b"$argon2i$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\x00",
    s("Password123") + s(SALT) + b"3_32_1_8192\x01",
    s("Password123") + s(SALT) + b"0:1:3_16_2_16384\x01",
    s("") + s("") + b"01\x01",
])
