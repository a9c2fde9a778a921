#!/usr/bin/env python3
"""Interop peer for Dojang built on the SD-JWT reference implementation (`sd-jwt`, with jwcrypto).

Three subcommands; inputs are files, results are printed on stdout, errors go to stderr with a
non-zero exit status (1: rejected or failed, 2: usage error):

  issue  --issuer-key JWK_FILE --holder-key JWK_FILE --iss DID --kid KID --vct VCT
         --claims CLAIMS_JSON --disclose a,b.c,... --aud AUD --nonce NONCE [--valid-days N]
      Issues an SD-JWT VC (header typ dc+sd-jwt, alg EdDSA, kid; payload iss, iat, exp, vct,
      cnf.jwk = the holder's public key) in which every claim of CLAIMS_JSON is selectively
      disclosable at every depth (object members and array elements), then presents it with a
      KB-JWT disclosing only the listed paths, and prints the compact presentation.

      A path is a dot-separated list of object member names and array indices
      (`address.locality`, `nationalities.1`). Disclosing a path discloses the value there with
      everything below it, and the containers above it (without their other members). An empty
      --disclose discloses nothing.

  verify --issuer-jwk PUBLIC_JWK_FILE --aud AUD --nonce NONCE PRESENTATION_FILE
      Verifies the issuer signature with the given key (EdDSA only, header typ dc+sd-jwt), exp/iat/nbf,
      every disclosure (each must be referenced exactly once), and the KB-JWT with cnf.jwk (typ
      kb+jwt, aud, nonce, iat, sd_hash); prints the processed claims as one JSON object.

  bench  --issuer-jwk PUBLIC_JWK_FILE --aud AUD --nonce NONCE [--now T] [--iterations K]
         [--expect-claims CLAIMS_JSON] PRESENTATION_FILE
      Verifies the presentation K times (default 1000) in this process, exactly as `verify` does
      with the verifier's clock at T (seconds since the epoch; default: now), after warming up,
      and prints one JSON object {iterations, total_seconds, per_verification_us, claims} (the
      claims of the first verification). Every verification must succeed. With --expect-claims,
      the first verification's claims less `cnf` and `status` must equal that file's object
      (`dojang bench --export` writes it) or the bench fails. One difference from `verify`: a
      `status` reference is accepted without being checked (the library has no status lists;
      `verify` refuses one), so the peer does a little less work than a verifier that checks it.

The library does the SD-JWT work (packing, disclosure selection, signature checks, sd_hash). This
script adds only what sd-jwt 0.10.4 leaves to its caller: EdDSA as the KB-JWT algorithm (its
default is ES256), the SD-JWT VC header type, time checks, and RFC 9901's rule that a disclosure
that no digest references makes the presentation invalid.
"""

import argparse
import hashlib
import json
import sys
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode

from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

ALG = "EdDSA"
SD_JWT_VC_TYP = "dc+sd-jwt"
KB_JWT_TYP = "kb+jwt"
# Claims that this peer sets itself and that must therefore not come from --claims.
REGISTERED_CLAIMS = ("iss", "iat", "nbf", "exp", "vct", "cnf", "status", "_sd", "_sd_alg")
# Allowed clock difference between this peer and the other side, in seconds.
LEEWAY_SECONDS = 300
# How old a KB-JWT may be when it is checked, in seconds.
KB_MAX_AGE_SECONDS = 600


class PeerError(Exception):
    """A rejection or failure with a message for stderr."""


def b64url_encode(data: bytes) -> str:
    return urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise PeerError(f"cannot read {path}: {e.strerror}") from e


def read_json(path: str):
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise PeerError(f"{path} is not JSON: {e}") from e


def load_ed25519_jwk(path: str, private: bool) -> JWK:
    """Loads an OKP/Ed25519 JWK, keeping only the members that define the key."""
    jwk = read_json(path)
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise PeerError(f"{path}: expected an OKP/Ed25519 JWK")
    members = ("kty", "crv", "x", "d") if private else ("kty", "crv", "x")
    if private and "d" not in jwk:
        raise PeerError(f"{path}: not a private key (no `d`)")
    return JWK(**{k: jwk[k] for k in members if k in jwk})


def parse_paths(spec: str):
    """`a,b.c,d.0` -> [("a",), ("b", "c"), ("d", 0)]; numeric segments are array indices."""
    paths = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        segments = []
        for seg in item.split("."):
            if seg == "":
                raise PeerError(f"empty segment in disclosure path {item!r}")
            segments.append(int(seg) if seg.isdigit() else seg)
        paths.append(tuple(segments))
    return paths


def make_all_disclosable(value):
    """Every object member and every array element, at every depth, becomes a disclosure."""
    if isinstance(value, dict):
        return {SDObj(k): make_all_disclosable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [SDObj(make_all_disclosable(v)) for v in value]
    return value


def full_frame(value):
    """The holder frame (sd-jwt's `claims_to_disclose`) disclosing everything in `value`."""
    if isinstance(value, dict) and value:
        return {k: full_frame(v) for k, v in value.items()}
    if isinstance(value, list) and value:
        return [full_frame(v) for v in value]
    # A scalar or an empty container: `True` discloses it (an empty frame would be falsy).
    return True


def frame_for(value, paths, where=()):
    """The holder frame disclosing exactly `paths` (with their subtrees and their ancestors)."""
    if any(p == () for p in paths):
        return full_frame(value)
    if isinstance(value, dict):
        frame = {}
        for key in {p[0] for p in paths}:
            if not isinstance(key, str) or key not in value:
                raise PeerError(f"no claim {'.'.join(map(str, where + (key,)))}")
            below = [p[1:] for p in paths if p[0] == key]
            sub = frame_for(value[key], below, where + (key,))
            frame[key] = sub if sub not in ({}, []) else True
        return frame
    if isinstance(value, list):
        frame = [None] * len(value)
        for index in {p[0] for p in paths}:
            if not isinstance(index, int) or index >= len(value):
                raise PeerError(f"no array element {'.'.join(map(str, where + (index,)))}")
            below = [p[1:] for p in paths if p[0] == index]
            sub = frame_for(value[index], below, where + (index,))
            frame[index] = sub if sub not in ({}, []) else True
        return frame
    raise PeerError(f"cannot descend into the scalar at {'.'.join(map(str, where))}")


def cmd_issue(args) -> str:
    issuer_key = load_ed25519_jwk(args.issuer_key, private=True)
    holder_key = load_ed25519_jwk(args.holder_key, private=True)
    claims = read_json(args.claims) if not args.claims.lstrip().startswith("{") else json.loads(args.claims)
    if not isinstance(claims, dict):
        raise PeerError("--claims must hold a JSON object")
    clash = [k for k in REGISTERED_CLAIMS if k in claims]
    if clash:
        raise PeerError(f"--claims must not contain {', '.join(clash)}: this peer sets them")

    now = int(time.time())
    payload = {
        "iss": args.iss,
        "iat": now,
        "exp": now + args.valid_days * 86400,
        "vct": args.vct,
    }
    payload.update(make_all_disclosable(claims))

    # The holder's public key goes into cnf.jwk (the library exports the public part).
    issuer = SDJWTIssuer(
        payload,
        issuer_key,
        holder_key=holder_key,
        sign_alg=ALG,
        extra_header_parameters={"typ": SD_JWT_VC_TYP, "kid": args.kid},
    )

    holder = SDJWTHolder(issuer.sd_jwt_issuance)
    holder.create_presentation(
        frame_for(claims, parse_paths(args.disclose)),
        nonce=args.nonce,
        aud=args.aud,
        holder_key=holder_key,
        sign_alg=ALG,
    )
    return holder.sd_jwt_presentation


class EdDSAVerifier(SDJWTVerifier):
    """sd-jwt 0.10.4 verifies the KB-JWT with its default algorithm, ES256, and lets the header
    choose the issuer-signature algorithm: pin both to EdDSA."""

    def _verify_sd_jwt(self, cb_get_issuer_key, sign_alg=None):
        super()._verify_sd_jwt(cb_get_issuer_key, sign_alg=ALG)

    def _verify_key_binding_jwt(self, expected_aud=None, expected_nonce=None, sign_alg=None):
        super()._verify_key_binding_jwt(expected_aud, expected_nonce, sign_alg=ALG)


def decode_jwt_part(jwt: str, index: int) -> dict:
    parts = jwt.split(".")
    if len(parts) != 3:
        raise PeerError("a JWT must have three parts")
    value = json.loads(b64url_decode(parts[index]).decode("utf-8"))
    if not isinstance(value, dict):
        raise PeerError("a JWT header and payload must be JSON objects")
    return value


def check_every_disclosure_referenced(issuer_payload: dict, disclosures: list) -> None:
    """RFC 9901 §7.1: each disclosure must be referenced by exactly one digest reachable from the
    payload through disclosed values; anything else rejects the presentation."""
    by_digest = {}
    for d in disclosures:
        digest = b64url_encode(hashlib.sha256(d.encode("ascii")).digest())
        if digest in by_digest:
            raise PeerError("the same disclosure appears twice")
        by_digest[digest] = json.loads(b64url_decode(d).decode("utf-8"))
    used = set()

    def use(digest, expected_len):
        if digest not in by_digest:
            return None  # undisclosed claim or decoy
        if digest in used:
            raise PeerError(f"digest {digest} is referenced twice")
        decoded = by_digest[digest]
        if not isinstance(decoded, list) or len(decoded) != expected_len:
            raise PeerError(f"disclosure {digest} has the wrong shape for where it is referenced")
        used.add(digest)
        return decoded[-1]

    def walk(node):
        if isinstance(node, dict):
            for digest in node.get("_sd", []):
                value = use(digest, 3)
                if value is not None:
                    walk(value)
            for key, value in node.items():
                if key != "_sd":
                    walk(value)
        elif isinstance(node, list):
            for element in node:
                if isinstance(element, dict) and list(element) == ["..."]:
                    value = use(element["..."], 2)
                    if value is not None:
                        walk(value)
                else:
                    walk(element)

    walk(issuer_payload)
    unused = set(by_digest) - used
    if unused:
        raise PeerError(f"{len(unused)} disclosure(s) referenced by no digest")


def cmd_verify(args) -> dict:
    issuer_jwk = load_ed25519_jwk(args.issuer_jwk, private=False)
    presentation = read_text(args.presentation).strip()
    return verify_presentation(presentation, issuer_jwk, args.aud, args.nonce, int(time.time()))


def verify_presentation(presentation: str, issuer_jwk: JWK, aud: str, nonce: str, now: int,
                        check_status: bool = True) -> dict:
    """Full verification of a compact presentation with a KB-JWT at time `now`; returns the
    processed claims. `check_status=False` accepts a status reference without checking it."""
    parts = presentation.split("~")
    if len(parts) < 2:
        raise PeerError("not a compact SD-JWT presentation")
    issuer_jwt, disclosures, kb_jwt = parts[0], parts[1:-1], parts[-1]
    if not kb_jwt:
        raise PeerError("the presentation has no KB-JWT")

    header = decode_jwt_part(issuer_jwt, 0)
    if header.get("typ") != SD_JWT_VC_TYP:
        raise PeerError(f"header typ is {header.get('typ')!r}, expected {SD_JWT_VC_TYP!r}")
    if header.get("alg") != ALG:
        raise PeerError(f"header alg is {header.get('alg')!r}, expected {ALG!r}")

    verifier = EdDSAVerifier(
        presentation,
        lambda _iss, _header: issuer_jwk,
        expected_aud=aud,
        expected_nonce=nonce,
    )
    claims = verifier.get_verified_payload()

    # The issuer payload's signature has been checked by now: read it for the remaining checks.
    issuer_payload = decode_jwt_part(issuer_jwt, 1)
    check_every_disclosure_referenced(issuer_payload, disclosures)

    for name in ("iss", "vct"):
        if not isinstance(issuer_payload.get(name), str):
            raise PeerError(f"payload has no string {name}")
    for name in ("iat", "exp"):
        if not isinstance(issuer_payload.get(name), int):
            raise PeerError(f"payload has no numeric {name}")
    if issuer_payload["exp"] + LEEWAY_SECONDS < now:
        raise PeerError("the credential has expired")
    if issuer_payload["iat"] - LEEWAY_SECONDS > now:
        raise PeerError("the credential is issued in the future")
    if isinstance(issuer_payload.get("nbf"), int) and issuer_payload["nbf"] - LEEWAY_SECONDS > now:
        raise PeerError("the credential is not yet valid")
    if check_status and "status" in issuer_payload:
        raise PeerError("status references are not supported by this offline peer")

    kb_header = decode_jwt_part(kb_jwt, 0)
    kb_payload = decode_jwt_part(kb_jwt, 1)
    if kb_header.get("typ") != KB_JWT_TYP or kb_header.get("alg") != ALG:
        raise PeerError("KB-JWT header must have typ kb+jwt and alg EdDSA")
    kb_iat = kb_payload.get("iat")
    if not isinstance(kb_iat, int) or not (now - KB_MAX_AGE_SECONDS <= kb_iat <= now + LEEWAY_SECONDS):
        raise PeerError(f"KB-JWT iat {kb_iat!r} is not recent")

    claims.pop("_sd_alg", None)
    return claims


# Claims only the peers show: the holder's key and the status reference. `dojang bench --export`
# leaves them out of the claims it writes.
PEER_ONLY_CLAIMS = ("cnf", "status")
# Unmeasured runs before the measured ones (imports, caches), at least this many.
WARM_UP_RUNS = 50


def cmd_bench(args) -> dict:
    if args.iterations < 1:
        raise PeerError("--iterations must be at least 1")
    issuer_jwk = load_ed25519_jwk(args.issuer_jwk, private=False)
    presentation = read_text(args.presentation).strip()
    now = args.now if args.now is not None else int(time.time())

    def once() -> dict:
        return verify_presentation(presentation, issuer_jwk, args.aud, args.nonce, now,
                                   check_status=False)

    claims = once()
    if args.expect_claims is not None:
        expected = read_json(args.expect_claims)
        seen = {k: v for k, v in claims.items() if k not in PEER_ONLY_CLAIMS}
        if seen != expected:
            raise PeerError(f"the claims differ from {args.expect_claims}: "
                            f"{json.dumps(seen, ensure_ascii=False, sort_keys=True)}")
    for _ in range(max(WARM_UP_RUNS, args.iterations // 10)):
        once()
    start = time.perf_counter()
    for _ in range(args.iterations):
        once()
    total = time.perf_counter() - start
    return {
        "iterations": args.iterations,
        "total_seconds": total,
        "per_verification_us": total * 1e6 / args.iterations,
        "claims": claims,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="peer.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    issue = sub.add_parser("issue", help="issue an SD-JWT VC and present it with a KB-JWT")
    issue.add_argument("--issuer-key", required=True, help="issuer private JWK file")
    issue.add_argument("--holder-key", required=True, help="holder private JWK file")
    issue.add_argument("--iss", required=True, help="issuer DID")
    issue.add_argument("--kid", required=True, help="DID URL of the issuer key (header kid)")
    issue.add_argument("--vct", required=True)
    issue.add_argument("--claims", required=True, help="JSON file with the claims (an object), or the object inline")
    issue.add_argument("--disclose", required=True, help="comma-separated paths to disclose")
    issue.add_argument("--aud", required=True)
    issue.add_argument("--nonce", required=True)
    issue.add_argument("--valid-days", type=int, default=365)

    verify = sub.add_parser("verify", help="verify a presentation and print its claims")
    verify.add_argument("--issuer-jwk", required=True, help="issuer public JWK file")
    verify.add_argument("--aud", required=True)
    verify.add_argument("--nonce", required=True)
    verify.add_argument("presentation", help="file holding the compact presentation")

    bench = sub.add_parser("bench", help="verify a presentation K times in-process and time it")
    bench.add_argument("--issuer-jwk", required=True, help="issuer public JWK file")
    bench.add_argument("--aud", required=True)
    bench.add_argument("--nonce", required=True)
    bench.add_argument("--now", type=int, help="the verifier's clock, seconds since the epoch")
    bench.add_argument("--iterations", type=int, default=1000)
    bench.add_argument("--expect-claims", help="JSON file with the claims the first verification must yield")
    bench.add_argument("presentation", help="file holding the compact presentation")

    args = parser.parse_args(argv)
    sys.stdout.reconfigure(encoding="utf-8")
    try:
        if args.command == "issue":
            print(cmd_issue(args))
        elif args.command == "bench":
            print(json.dumps(cmd_bench(args), ensure_ascii=False))
        else:
            print(json.dumps(cmd_verify(args), ensure_ascii=False))
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        print(f"peer.py {args.command}: rejected: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
