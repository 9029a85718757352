#!/usr/bin/python3
# custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
#
# Generates tests/vectors/foreign_hashes.json: password hashes of other shop platforms, each made
# by code that is not custauth's, and for each one the passwords that match it or not as the
# platform's own check decides:
#   - bcrypt $2y$: PHP's password_hash($p, PASSWORD_BCRYPT) (Shopware 6, Laravel, Symfony);
#   - bcrypt $2a$: PHP's crypt() with a $2a$ setting (PHP's own crypt_blowfish);
#   - bcrypt $2b$: Python's crypt module (the system's libxcrypt);
#     every bcrypt vector is checked by PHP's password_verify;
#   - phpass $P$ (WordPress / WooCommerce) and $H$ (phpBB3): Debian's python3-passlib
#     (passlib.hash.phpass), checked by passlib's verify; for $P$, as WordPress hashes and checks
#     it: wp_hash_password hashed trim(password), and its login (wp_authenticate) trims the
#     password before wp_check_password;
#   - WordPress 6.8's $wp$2y$: PHP reproducing wp_hash_password (bcrypt over
#     base64(HMAC-SHA384(key "wp-sha384", trim(password))), prefixed "$wp"), checked by PHP
#     reproducing its login: wp_authenticate's trim, then wp_check_password (passwords over 4096
#     bytes never match; password_verify of the same pre-hash against the hash without "$wp").
# And "malformed": hashes custauth must refuse as unreadable, each derived here from a real one
# (cut, bad characters, costs over custauth's caps made by the same tools).
#
# Usage: /usr/bin/python3 tests/vectors/make_foreign_hashes.py > tests/vectors/foreign_hashes.json
# Needs php8.2-cli and python3-passlib (scripts/setup). Salts are random: every run differs.
import json
import subprocess
import sys
import unicodedata
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import crypt  # noqa: E402  (deprecated since Python 3.11; the system's libxcrypt)

from passlib.hash import phpass  # noqa: E402

PHP = "php"
ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # phpass's alphabet

# Passwords: ASCII, Unicode (NFC; the NFD spelling is another password), surrounding spaces, a
# single character, a single space, and one past bcrypt's 72 bytes.
UNICODE = unicodedata.normalize("NFC", "Pässwörd-ünïcode-密码-🔑")
LONG = "L0ng-" + "abcdefghij" * 9 + "-end"  # 99 bytes
PASSWORDS = ["Password123", UNICODE, "  spaced out  ", "x", " ", LONG]


def wrong_candidates(p):
    """Passwords near `p` that a check must weigh: case, one byte more or less, other spellings."""
    out = [p.swapcase() if p.swapcase() != p else p + "!", p + "1", p[:-1] or "y"]
    nfd = unicodedata.normalize("NFD", p)
    if nfd != p:
        out.append(nfd)
    if p.strip() != p and p.strip():
        out.append(p.strip())  # what WordPress hashes for "$wp$": matches there, not in bcrypt
    if len(p.encode()) > 72:
        out.append(p[:72] + "DIFFERENT-TAIL")  # bcrypt reads 72 bytes; $wp$ pre-hashes them all
        out.append(p[:40] + "X" + p[41:])
    return out


PHP_CODE = r"""
$in = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
// wp_hash_password of WordPress 6.8 with the default bcrypt algorithm.
function wp68_hash(string $p, int $cost): string {
    $pre = base64_encode(hash_hmac('sha384', trim($p), 'wp-sha384', true));
    return '$wp' . password_hash($pre, PASSWORD_BCRYPT, ['cost' => $cost]);
}
// WordPress 6.8's login for a "$wp" hash: wp_authenticate trims, wp_check_password checks.
function wp68_login_check(string $p, string $hash): bool {
    $p = trim($p);
    if (strlen($p) > 4096) return false;
    $pre = base64_encode(hash_hmac('sha384', $p, 'wp-sha384', true));
    return password_verify($pre, substr($hash, 3));
}
$out = [];
foreach ($in as $r) {
    switch ($r['op']) {
        case 'bcrypt_2y': $out[] = password_hash($r['p'], PASSWORD_BCRYPT, ['cost' => $r['cost']]); break;
        case 'bcrypt_2a':
            $salt = strtr(substr(base64_encode(random_bytes(16)), 0, 21), '+', '.') . 'u';
            $out[] = crypt($r['p'], sprintf('$2a$%02d$', $r['cost']) . $salt);
            break;
        case 'wp': $out[] = wp68_hash($r['p'], $r['cost']); break;
        case 'verify': $out[] = password_verify($r['p'], $r['h']); break;
        case 'wp_check': $out[] = wp68_login_check($r['p'], $r['h']); break;
    }
}
echo json_encode($out, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
"""


def php(requests):
    proc = subprocess.run([PHP, "-r", PHP_CODE], input=json.dumps(requests), text=True,
                          capture_output=True, check=True)
    return json.loads(proc.stdout)


def php_version():
    return subprocess.run([PHP, "-r", "echo PHP_VERSION;"], text=True, capture_output=True,
                          check=True).stdout


def php_trim(s):
    """PHP's trim() with its default characters."""
    return s.strip(" \t\n\r\0\x0b")


def bcrypt_2b(p, cost):
    h = crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
    if not h or not h.startswith("$2b$"):
        sys.exit("the system's crypt made no $2b$ hash")
    return h


def main():
    vectors = []
    # (format, maker, cost): cheap costs keep the test fast; one at PHP's default cost 10.
    made = []
    php_requests = []
    for p in PASSWORDS:
        php_requests.append({"op": "bcrypt_2y", "p": p, "cost": 4})
        php_requests.append({"op": "bcrypt_2a", "p": p, "cost": 5})
        php_requests.append({"op": "wp", "p": p, "cost": 4})
    php_requests.append({"op": "bcrypt_2y", "p": "Password123", "cost": 10})
    php_requests.append({"op": "wp", "p": "Password123", "cost": 10})
    hashes = php(php_requests)
    it = iter(hashes)
    for p in PASSWORDS:
        made.append(("bcrypt", "PHP password_hash(PASSWORD_BCRYPT)", p, next(it)))
        made.append(("bcrypt", "PHP crypt() with a $2a$ setting", p, next(it)))
        made.append(("wordpress", "PHP: WordPress 6.8 wp_hash_password", p, next(it)))
    made.append(("bcrypt", "PHP password_hash(PASSWORD_BCRYPT)", "Password123", next(it)))
    made.append(("wordpress", "PHP: WordPress 6.8 wp_hash_password", "Password123", next(it)))
    for p in PASSWORDS:
        made.append(("bcrypt", "Python crypt (libxcrypt)", p, bcrypt_2b(p, 4)))
        made.append(("phpass", "passlib.hash.phpass over trim(password), as WordPress", p,
                     phpass.using(rounds=8).hash(php_trim(p))))
        made.append(("phpass", "passlib.hash.phpass", p,
                     phpass.using(rounds=13, ident="H").hash(p)))
    made.append(("phpass", "passlib.hash.phpass at WordPress's count", "Password123",
                 phpass.using(rounds=13).hash("Password123")))

    # The checks: the password itself, and its near misses, judged by the format's own verifier.
    checks = []
    verify_requests = []
    for fmt, maker, p, h in made:
        candidates = [p] + wrong_candidates(p)
        entry = {"format": fmt, "made_by": maker, "password": p, "hash": h, "checks": []}
        for c in candidates:
            if fmt == "phpass" and h.startswith("$P$"):
                entry["checks"].append({"password": c, "match": phpass.verify(php_trim(c), h),
                                        "checked_by": "passlib.hash.phpass.verify after "
                                                      "WordPress's trim"})
            elif fmt == "phpass":
                entry["checks"].append({"password": c, "match": phpass.verify(c, h),
                                        "checked_by": "passlib.hash.phpass.verify"})
            else:
                op = "wp_check" if fmt == "wordpress" else "verify"
                verify_requests.append({"op": op, "p": c, "h": h})
                checks.append((entry, c, op))
        vectors.append(entry)
    results = php(verify_requests)
    for (entry, c, op), match in zip(checks, results):
        by = "PHP: WordPress 6.8 login (trim, wp_check_password)" if op == "wp_check" else "PHP password_verify"
        entry["checks"].append({"password": c, "match": match, "checked_by": by})
    for entry in vectors:
        entry["checks"].sort(key=lambda c: not c["match"])
        if not entry["checks"][0]["match"] and php_trim(entry["password"]):
            sys.exit(f"the platform's own check refuses its own hash: {entry}")

    # Malformed and over-cap hashes, each derived from a real one.
    b = php([{"op": "bcrypt_2y", "p": "Password123", "cost": 4}])[0]
    p8 = phpass.using(rounds=8).hash("Password123")
    wp = php([{"op": "wp", "p": "Password123", "cost": 4}])[0]
    over = php([{"op": "bcrypt_2y", "p": "Password123", "cost": 15},
                {"op": "wp", "p": "Password123", "cost": 15}])
    malformed = [
        {"hash": b[:-1], "why": "bcrypt cut by one character"},
        {"hash": b + "A", "why": "bcrypt one character too long"},
        {"hash": b[:7] + "!" + b[8:], "why": "bcrypt salt with a character outside its base64"},
        {"hash": b[:28] + "P" + b[29:], "why": "bcrypt salt whose last character sets unused bits"},
        {"hash": b.replace("$04$", "$4$", 1) + "x", "why": "bcrypt cost of one digit"},
        {"hash": b.replace("$04$", "$03$", 1), "why": "bcrypt cost below 4"},
        {"hash": over[0], "why": "bcrypt cost 15 (PHP password_hash), over custauth's cap of 14"},
        {"hash": "$2x$" + b[4:], "why": "bcrypt $2x$ (crypt_blowfish's buggy mode)"},
        {"hash": "$2y$04$", "why": "bcrypt setting only"},
        {"hash": p8[:-1], "why": "phpass cut by one character"},
        {"hash": p8[:3] + ITOA64[5] + p8[4:], "why": "phpass count 2^5, under phpass's minimum of 2^7"},
        {"hash": p8[:3] + ITOA64[23] + p8[4:], "why": "phpass count 2^23, over custauth's cap of 2^22"},
        {"hash": p8[:3] + ITOA64[31] + p8[4:], "why": "phpass count 2^31, over phpass's maximum of 2^30"},
        {"hash": p8[:10] + "*" + p8[11:], "why": "phpass salt with a character outside itoa64"},
        {"hash": "$Q$" + p8[3:], "why": "phpass with an unknown identifier"},
        {"hash": wp[:-2], "why": "WordPress $wp$ bcrypt cut"},
        {"hash": "$wp" + p8, "why": "WordPress $wp prefix before a phpass hash"},
        {"hash": "$wp$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA", "why": "$wp before Argon2"},
        {"hash": over[1], "why": "WordPress $wp$ bcrypt cost 15, over custauth's cap"},
    ]
    doc = {
        "copyright": "custauth — Copyright 2026 The custauth Authors. "
                     "SPDX-License-Identifier: Apache-2.0",
        "generator": f"/usr/bin/python3 tests/vectors/make_foreign_hashes.py (PHP {php_version()},"
                     f" passlib {__import__('passlib').__version__}, the system's libxcrypt)",
        "vectors": vectors,
        "malformed": malformed,
    }
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
