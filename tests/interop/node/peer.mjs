#!/usr/bin/env node
// Interop peer for Dojang built on the OpenWallet Foundation's TypeScript SD-JWT libraries
// (@sd-jwt/core, @sd-jwt/sd-jwt-vc, @sd-jwt/crypto-nodejs), with EdDSA from node's own crypto.
//
// Three subcommands; inputs are files, results are printed on stdout, errors go to stderr with a
// non-zero exit status (1: rejected or failed, 2: usage error):
//
//   issue  --issuer-key JWK_FILE --holder-key JWK_FILE --iss DID --kid KID --vct VCT
//          --claims CLAIMS_JSON --disclose a,b.c,... --aud AUD --nonce NONCE [--valid-days N]
//       (CLAIMS_JSON: a file holding a JSON object, or the object itself when it starts with `{`.)
//       Issues an SD-JWT VC (header typ dc+sd-jwt, alg EdDSA, kid; payload iss, iat, exp, vct,
//       cnf.jwk = the holder's public key) in which every claim of CLAIMS_JSON is selectively
//       disclosable at every depth (object members and array elements), presents it with a KB-JWT
//       disclosing only the listed paths, and prints the compact presentation.
//
//       A path is a dot-separated list of object member names and array indices
//       (`address.locality`, `nationalities.1`). Disclosing a path discloses the value there with
//       everything below it, and the containers above it (without their other members). An empty
//       --disclose discloses nothing.
//
//   verify --issuer-jwk PUBLIC_JWK_FILE --aud AUD --nonce NONCE PRESENTATION_FILE
//       Verifies the issuer signature with the given key (EdDSA only, header typ dc+sd-jwt),
//       iat/nbf/exp, every disclosure (each must be referenced exactly once) and the KB-JWT with
//       cnf.jwk (typ kb+jwt, aud, nonce, iat, sd_hash); prints the processed claims as one JSON
//       object.
//
//   bench  --issuer-jwk PUBLIC_JWK_FILE --aud AUD --nonce NONCE [--now T] [--iterations K]
//          [--expect-claims CLAIMS_JSON] PRESENTATION_FILE
//       Verifies the presentation K times (default 1000) in this process, exactly as `verify` does
//       with the verifier's clock at T (seconds since the epoch; default: now), after warming up,
//       and prints one JSON object {iterations, total_seconds, per_verification_us, claims} (the
//       claims of the first verification). Every verification must succeed. With --expect-claims,
//       the first verification's claims less `cnf` and `status` must equal that file's object
//       (`dojang bench --export` writes it) or the bench fails. One difference from `verify`: a
//       `status` reference is accepted without being checked (`verify` refuses one rather than
//       fetch the list), so the peer does a little less work than a verifier that checks it.
//
// The libraries do the SD-JWT work (packing, disclosure selection, signature and nonce checks,
// sd_hash). This script adds only what they leave to their caller in 0.19.0: the header typ and alg
// checks, the KB-JWT aud and iat checks, RFC 9901's rule that a disclosure no digest references
// makes the presentation invalid, and no network access (a status list reference is an error
// rather than a fetch).

import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';

import { digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';

const ALG = 'EdDSA';
const SD_JWT_VC_TYP = 'dc+sd-jwt';
const KB_JWT_TYP = 'kb+jwt';
// Claims that this peer sets itself and that must therefore not come from --claims.
const REGISTERED_CLAIMS = ['iss', 'iat', 'nbf', 'exp', 'vct', 'cnf', 'status', '_sd', '_sd_alg'];
// Allowed clock difference between this peer and the other side, in seconds.
const LEEWAY_SECONDS = 300;
// How old a KB-JWT may be when it is checked, in seconds.
const KB_MAX_AGE_SECONDS = 600;
// Claims only the peers show: the holder's key and the status reference. `dojang bench --export`
// leaves them out of the claims it writes.
const PEER_ONLY_CLAIMS = ['cnf', 'status'];
// Unmeasured runs before the measured ones (JIT, caches), at least this many.
const WARM_UP_RUNS = 50;

class PeerError extends Error {
  name = 'PeerError';
}

function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new PeerError(`cannot read ${path}: ${e.code ?? e.message}`);
  }
}

function readJson(path) {
  try {
    return JSON.parse(readText(path));
  } catch (e) {
    if (e instanceof PeerError) throw e;
    throw new PeerError(`${path} is not JSON: ${e.message}`);
  }
}

// Loads an OKP/Ed25519 JWK, keeping only the members that define the key.
function loadEd25519Jwk(path, { isPrivate }) {
  const jwk = readJson(path);
  if (jwk === null || typeof jwk !== 'object' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    throw new PeerError(`${path}: expected an OKP/Ed25519 JWK`);
  }
  if (isPrivate && typeof jwk.d !== 'string') {
    throw new PeerError(`${path}: not a private key (no \`d\`)`);
  }
  const pub = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  return isPrivate ? { ...pub, d: jwk.d } : pub;
}

const publicPart = ({ kty, crv, x }) => ({ kty, crv, x });

function signerFor(privateJwk) {
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  return (data) => sign(null, Buffer.from(data, 'utf8'), key).toString('base64url');
}

function verifyWith(publicJwk, data, signature) {
  const key = createPublicKey({ key: publicPart(publicJwk), format: 'jwk' });
  return verify(null, Buffer.from(data, 'utf8'), key, Buffer.from(signature, 'base64url'));
}

// The KB-JWT is checked with the key the issuer bound the credential to: cnf.jwk.
function kbVerifier(data, signature, payload) {
  const jwk = payload?.cnf?.jwk;
  if (!jwk || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    throw new PeerError('the credential has no OKP/Ed25519 cnf.jwk');
  }
  return verifyWith(jwk, data, signature);
}

async function noStatusFetch(uri) {
  throw new PeerError(`status list ${uri}: this offline peer does not fetch status lists`);
}

// For `bench` only: the library's verification without its status step.
class StatusUncheckedVcInstance extends SDJwtVcInstance {
  async verifyStatus() {}
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isContainer = (v) => v !== null && typeof v === 'object';

// Disclosure frame making every object member and array element disclosable, at every depth.
function allDisclosableFrame(value) {
  if (Array.isArray(value)) {
    const frame = { _sd: value.map((_, i) => i) };
    value.forEach((v, i) => {
      if (isContainer(v)) frame[i] = allDisclosableFrame(v);
    });
    return frame;
  }
  const frame = { _sd: Object.keys(value) };
  for (const [k, v] of Object.entries(value)) {
    if (isContainer(v)) frame[k] = allDisclosableFrame(v);
  }
  return frame;
}

// `a,b.c,d.0` -> [['a'], ['b','c'], ['d', 0]]; numeric segments are array indices.
function parsePaths(spec) {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) =>
      item.split('.').map((seg) => {
        if (seg === '') throw new PeerError(`empty segment in disclosure path ${JSON.stringify(item)}`);
        return /^[0-9]+$/.test(seg) ? Number(seg) : seg;
      }),
    );
}

// Presentation frame disclosing everything in `value`. In @sd-jwt's frames `true` discloses one
// claim only (not what is below it), so a subtree is spelled out down to its leaves.
function fullFrame(value) {
  if (isContainer(value)) {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    if (entries.length === 0) return true;
    return Object.fromEntries(entries.map(([k, v]) => [k, fullFrame(v)]));
  }
  return true;
}

// Presentation frame disclosing exactly `paths` (with their subtrees and their ancestors).
function frameFor(value, paths, where = []) {
  if (paths.some((p) => p.length === 0)) return fullFrame(value);
  if (!isContainer(value)) {
    throw new PeerError(`cannot descend into the scalar at ${where.join('.')}`);
  }
  const frame = {};
  for (const head of new Set(paths.map((p) => p[0]))) {
    const here = [...where, head];
    const exists = Array.isArray(value)
      ? typeof head === 'number' && head < value.length
      : typeof head === 'string' && Object.hasOwn(value, head);
    if (!exists) throw new PeerError(`no claim ${here.join('.')}`);
    const below = paths.filter((p) => p[0] === head).map((p) => p.slice(1));
    frame[head] = frameFor(value[head], below, here);
  }
  return frame;
}

async function cmdIssue(values) {
  const issuerKey = loadEd25519Jwk(values['issuer-key'], { isPrivate: true });
  const holderKey = loadEd25519Jwk(values['holder-key'], { isPrivate: true });
  const claims = values.claims.trimStart().startsWith('{') ? JSON.parse(values.claims) : readJson(values.claims);
  if (!isObject(claims)) throw new PeerError('--claims must hold a JSON object');
  const clash = REGISTERED_CLAIMS.filter((k) => Object.hasOwn(claims, k));
  if (clash.length > 0) throw new PeerError(`--claims must not contain ${clash.join(', ')}: this peer sets them`);
  const validDays = Number(values['valid-days'] ?? '365');
  if (!Number.isInteger(validDays)) throw new PeerError('--valid-days must be an integer');

  const sdjwt = new SDJwtVcInstance({
    signer: signerFor(issuerKey),
    signAlg: ALG,
    kbSigner: signerFor(holderKey),
    kbSignAlg: ALG,
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
  });
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: values.iss,
    iat: now,
    exp: now + validDays * 86400,
    vct: values.vct,
    cnf: { jwk: publicPart(holderKey) },
    ...claims,
  };
  // The registered claims stay in the clear; every member of --claims is disclosable, recursively.
  const frame = allDisclosableFrame(claims);
  const credential = await sdjwt.issue(payload, frame, { header: { kid: values.kid } });

  return sdjwt.present(credential, frameFor(claims, parsePaths(values.disclose)), {
    kb: { payload: { aud: values.aud, nonce: values.nonce, iat: now } },
  });
}

function decodeJwtPart(jwt, index) {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new PeerError('a JWT must have three parts');
  const value = JSON.parse(Buffer.from(parts[index], 'base64url').toString('utf8'));
  if (!isObject(value)) throw new PeerError('a JWT header and payload must be JSON objects');
  return value;
}

// RFC 9901 §7.1: each disclosure must be referenced by exactly one digest reachable from the
// payload through disclosed values; anything else rejects the presentation.
function checkEveryDisclosureReferenced(issuerPayload, disclosures) {
  const byDigest = new Map();
  for (const d of disclosures) {
    const dg = createHash('sha256').update(d, 'ascii').digest('base64url');
    if (byDigest.has(dg)) throw new PeerError('the same disclosure appears twice');
    byDigest.set(dg, JSON.parse(Buffer.from(d, 'base64url').toString('utf8')));
  }
  const used = new Set();
  const use = (dg, expectedLength) => {
    if (!byDigest.has(dg)) return undefined; // undisclosed claim or decoy
    if (used.has(dg)) throw new PeerError(`digest ${dg} is referenced twice`);
    const decoded = byDigest.get(dg);
    if (!Array.isArray(decoded) || decoded.length !== expectedLength) {
      throw new PeerError(`disclosure ${dg} has the wrong shape for where it is referenced`);
    }
    used.add(dg);
    return { value: decoded[decoded.length - 1] };
  };
  const walk = (node) => {
    if (Array.isArray(node)) {
      for (const element of node) {
        if (isObject(element) && Object.keys(element).length === 1 && Object.hasOwn(element, '...')) {
          const found = use(element['...'], 2);
          if (found) walk(found.value);
        } else {
          walk(element);
        }
      }
    } else if (isObject(node)) {
      for (const dg of node._sd ?? []) {
        const found = use(dg, 3);
        if (found) walk(found.value);
      }
      for (const [k, v] of Object.entries(node)) if (k !== '_sd') walk(v);
    }
  };
  walk(issuerPayload);
  const unused = [...byDigest.keys()].filter((dg) => !used.has(dg));
  if (unused.length > 0) throw new PeerError(`${unused.length} disclosure(s) referenced by no digest`);
}

// The library's verifier for presentations signed with `issuerJwk`; `checkStatus: false` accepts a
// status reference without checking it.
function verifierFor(issuerJwk, { checkStatus }) {
  const issuerKey = createPublicKey({ key: publicPart(issuerJwk), format: 'jwk' });
  const Instance = checkStatus ? SDJwtVcInstance : StatusUncheckedVcInstance;
  return new Instance({
    hasher: digest,
    hashAlg: 'sha-256',
    verifier: (data, signature) =>
      verify(null, Buffer.from(data, 'utf8'), issuerKey, Buffer.from(signature, 'base64url')),
    kbVerifier,
    statusListFetcher: noStatusFetch,
  });
}

async function cmdVerify(values, presentationFile) {
  const issuerJwk = loadEd25519Jwk(values['issuer-jwk'], { isPrivate: false });
  const presentation = readText(presentationFile).trim();
  const now = Math.floor(Date.now() / 1000);
  return verifyPresentation(verifierFor(issuerJwk, { checkStatus: true }), presentation, values, now);
}

// Full verification of a compact presentation with a KB-JWT at time `now` (seconds); returns the
// processed claims.
async function verifyPresentation(sdjwt, presentation, { aud, nonce }, now) {
  const parts = presentation.split('~');
  if (parts.length < 2) throw new PeerError('not a compact SD-JWT presentation');
  const [issuerJwt, ...rest] = parts;
  const kbJwt = rest.pop();
  if (!kbJwt) throw new PeerError('the presentation has no KB-JWT');

  const header = decodeJwtPart(issuerJwt, 0);
  if (header.typ !== SD_JWT_VC_TYP) throw new PeerError(`header typ is ${JSON.stringify(header.typ)}, expected ${SD_JWT_VC_TYP}`);
  if (header.alg !== ALG) throw new PeerError(`header alg is ${JSON.stringify(header.alg)}, expected ${ALG}`);

  // Checks the issuer signature, iat/nbf/exp, the disclosures, the KB-JWT (typ, signature with
  // cnf.jwk, nonce) and sd_hash.
  const result = await sdjwt.verify(presentation, {
    keyBindingNonce: nonce,
    skewSeconds: LEEWAY_SECONDS,
    currentDate: now,
    requiredClaimKeys: ['iss', 'iat', 'exp', 'vct'],
  });

  const issuerPayload = decodeJwtPart(issuerJwt, 1);
  checkEveryDisclosureReferenced(issuerPayload, rest);
  if (typeof issuerPayload.iss !== 'string' || typeof issuerPayload.vct !== 'string') {
    throw new PeerError('payload must have string iss and vct');
  }
  if (!Number.isInteger(issuerPayload.exp) || !Number.isInteger(issuerPayload.iat)) {
    throw new PeerError('payload must have numeric iat and exp');
  }

  const kb = result.kb;
  if (!kb) throw new PeerError('the KB-JWT was not verified');
  if (kb.header.typ !== KB_JWT_TYP || kb.header.alg !== ALG) {
    throw new PeerError('KB-JWT header must have typ kb+jwt and alg EdDSA');
  }
  if (kb.payload.aud !== aud) throw new PeerError(`KB-JWT aud ${JSON.stringify(kb.payload.aud)} is not ours`);
  const iat = kb.payload.iat;
  if (!Number.isInteger(iat) || iat < now - KB_MAX_AGE_SECONDS || iat > now + LEEWAY_SECONDS) {
    throw new PeerError(`KB-JWT iat ${iat} is not recent`);
  }

  const claims = { ...result.payload };
  delete claims._sd_alg;
  return claims;
}

// A whole number from an option, or `fallback` when it is absent.
function integerOption(values, name, fallback) {
  if (values[name] === undefined) return fallback;
  if (!/^-?[0-9]+$/.test(values[name])) throw new PeerError(`--${name} must be an integer`);
  return Number(values[name]);
}

async function cmdBench(values, presentationFile) {
  const iterations = integerOption(values, 'iterations', 1000);
  if (iterations < 1) throw new PeerError('--iterations must be at least 1');
  const now = integerOption(values, 'now', Math.floor(Date.now() / 1000));
  const issuerJwk = loadEd25519Jwk(values['issuer-jwk'], { isPrivate: false });
  const presentation = readText(presentationFile).trim();
  const sdjwt = verifierFor(issuerJwk, { checkStatus: false });
  const once = () => verifyPresentation(sdjwt, presentation, values, now);

  const claims = await once();
  if (values['expect-claims'] !== undefined) {
    const expected = readJson(values['expect-claims']);
    const seen = Object.fromEntries(Object.entries(claims).filter(([k]) => !PEER_ONLY_CLAIMS.includes(k)));
    if (!isDeepStrictEqual(seen, expected)) {
      throw new PeerError(`the claims differ from ${values['expect-claims']}: ${JSON.stringify(seen)}`);
    }
  }
  for (let i = 0; i < Math.max(WARM_UP_RUNS, Math.floor(iterations / 10)); i++) await once();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  const totalSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    iterations,
    total_seconds: totalSeconds,
    per_verification_us: (totalSeconds * 1e6) / iterations,
    claims,
  };
}

async function main(argv) {
  const [command, ...rest] = argv;
  const specs = {
    issue: {
      'issuer-key': { type: 'string' },
      'holder-key': { type: 'string' },
      iss: { type: 'string' },
      kid: { type: 'string' },
      vct: { type: 'string' },
      claims: { type: 'string' },
      disclose: { type: 'string' },
      aud: { type: 'string' },
      nonce: { type: 'string' },
      'valid-days': { type: 'string' },
    },
    verify: {
      'issuer-jwk': { type: 'string' },
      aud: { type: 'string' },
      nonce: { type: 'string' },
    },
    bench: {
      'issuer-jwk': { type: 'string' },
      aud: { type: 'string' },
      nonce: { type: 'string' },
      now: { type: 'string' },
      iterations: { type: 'string' },
      'expect-claims': { type: 'string' },
    },
  };
  const required = {
    issue: ['issuer-key', 'holder-key', 'iss', 'kid', 'vct', 'claims', 'disclose', 'aud', 'nonce'],
    verify: ['issuer-jwk', 'aud', 'nonce'],
    bench: ['issuer-jwk', 'aud', 'nonce'],
  };
  const usage = (message) => {
    process.stderr.write(`peer.mjs: ${message}\nusage: peer.mjs issue|verify|bench [options] (see the header of peer.mjs)\n`);
    return 2;
  };
  if (!Object.hasOwn(specs, command ?? '')) return usage(`unknown command ${JSON.stringify(command ?? '')}`);

  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: specs[command], allowPositionals: true, strict: true });
  } catch (e) {
    return usage(e.message);
  }
  const { values, positionals } = parsed;
  const missing = required[command].filter((k) => values[k] === undefined);
  if (missing.length > 0) return usage(`missing --${missing.join(', --')}`);
  const wantPositionals = command === 'issue' ? 0 : 1;
  if (positionals.length !== wantPositionals) return usage(`${command} takes ${wantPositionals} positional argument(s)`);

  try {
    if (command === 'issue') {
      process.stdout.write(`${await cmdIssue(values)}\n`);
    } else if (command === 'bench') {
      process.stdout.write(`${JSON.stringify(await cmdBench(values, positionals[0]))}\n`);
    } else {
      process.stdout.write(`${JSON.stringify(await cmdVerify(values, positionals[0]))}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`peer.mjs ${command}: rejected: ${e?.name ?? 'Error'}: ${e?.message ?? e}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
