"""Optional PAdES signature of issued documents (pyHanko), and its verification.

With DOCUMENT_SIGNING_P12 (a PKCS#12 file) and DOCUMENT_SIGNING_PASSPHRASE
set, every document is signed before it is archived (archive.py hashes the
signed bytes): a PAdES baseline signature (ETSI.CAdES.detached, SHA-256)
with a visible block at the bottom right of the last page, in the margin
below the footer (signer and signing time).  The passphrase is never logged.

`verify_document_bytes` checks archived bytes against their SHA-256 and,
when they carry a signature, checks it with pyHanko.  The only trust roots
are the configured certificate's own chain: a valid result means "signed,
unaltered, by this hospital's certificate", not a qualified (eIDAS)
signature; `make_demo_certificate`'s self-signed certificate is for trying.
There is no timestamp authority: the signing time is the signer's claim.
"""

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import functools
import hashlib
import io
import logging
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from app.core.errors import Unavailable
from app.documents.render import RenderingFailed

log = logging.getLogger(__name__)

SIGNATURE_FIELD = "CareTrailSignature"
# The block: bottom right of the last page, inside the bottom margin, under
# the running footer (templates/documents/document.css: 22 mm bottom margin).
STAMP_WIDTH_PT = 215
STAMP_HEIGHT_PT = 26
STAMP_RIGHT_PT = 42.5  # 15 mm, the side margin
STAMP_BOTTOM_PT = 6
DEMO_CERTIFICATE_DAYS = 365 * 3


class SigningFailed(RenderingFailed):
    """Signing is configured but impossible (certificate missing, wrong
    passphrase, expired): nothing is issued rather than an unsigned document.
    A RenderingFailed, so it is answered 503 like one, with its own words."""

    def __init__(self, message: str):
        Unavailable.__init__(self, message)
        self.reason = message


@dataclass(frozen=True)
class SigningCertificate:
    """The configured PKCS#12: the pyHanko signer and the certificates it carries."""

    signer: object  # pyhanko.sign.signers.SimpleSigner
    name: str  # the certificate's common name, recorded as `signed_by`
    chain: tuple  # asn1crypto certificates: the signing one first
    not_after: dt.datetime

    @property
    def is_self_signed(self) -> bool:
        first = self.chain[0]
        return first.subject == first.issuer


def sign_if_configured(content: bytes, config) -> tuple[bytes, str | None]:
    """(the bytes to archive, the signer's name or None when not signed)."""
    certificate = configured_certificate(config)
    if certificate is None:
        return content, None
    return sign_pdf(content, certificate, timezone=config.get("TIMEZONE", "UTC")), certificate.name


def configured_certificate(config) -> SigningCertificate | None:
    """The certificate DOCUMENT_SIGNING_P12 names (None when unset); SigningFailed when unusable."""
    path = config.get("DOCUMENT_SIGNING_P12")
    if not path:
        return None
    try:
        modified = os.stat(path).st_mtime_ns
    except OSError as missing:
        raise SigningFailed(f"The signing certificate {path} cannot be read ({missing.strerror}).") from None
    return _load_certificate(str(path), modified, config.get("DOCUMENT_SIGNING_PASSPHRASE") or "")


@functools.lru_cache(maxsize=4)
def _load_certificate(path: str, _modified: int, passphrase: str) -> SigningCertificate:
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.sign.signers import SimpleSigner

    data = Path(path).read_bytes()
    try:
        key, certificate, _others = pkcs12.load_key_and_certificates(data, passphrase.encode() or None)
    except ValueError:
        raise SigningFailed(f"The signing certificate {path} does not open: wrong passphrase or not PKCS#12.") from None
    if key is None or certificate is None:
        raise SigningFailed(f"The signing certificate {path} holds no private key and certificate.")
    loaded = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase.encode() or None)
    signer = _signer_class()(
        signing_key=loaded.signing_key, signing_cert=loaded.signing_cert, cert_registry=loaded.cert_registry
    )
    signer.private_key = key
    chain = (signer.signing_cert, *(c for c in signer.cert_registry if c != signer.signing_cert))
    return SigningCertificate(signer, _common_name(signer.signing_cert), chain, certificate.not_valid_after_utc)


@functools.cache
def _signer_class():
    """pyHanko's SimpleSigner re-parses (and re-checks) the RSA key on every
    signature, 0.13 s for a 3072-bit key, twice per document; this one signs
    with the key parsed once from the PKCS#12."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class ParsedKeySigner(SimpleSigner):
        private_key = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            if mechanism["algorithm"].native == "sha256_rsa" and isinstance(self.private_key, RSAPrivateKey):
                return self.private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            return super().sign_raw(data, digest_algorithm)

    return ParsedKeySigner


def run_async(function, *args, **kwargs):
    """Await pyHanko's coroutine `function(*args, **kwargs)` from synchronous
    code.  pyHanko's own sync wrappers call asyncio.run(), which fails when the
    thread already runs an event loop (an async server, or Playwright in the
    tests): then the coroutine runs on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(function(*args, **kwargs))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, function(*args, **kwargs)).result()


def sign_pdf(content: bytes, certificate: SigningCertificate, *, timezone: str = "UTC") -> bytes:
    """The PDF with a PAdES signature and its visible block on the last page."""
    from pyhanko import stamp
    from pyhanko.pdf_utils import text
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pypdf import PdfReader

    now = dt.datetime.now(ZoneInfo(timezone))
    if now >= certificate.not_after:
        raise SigningFailed(f"The signing certificate expired on {certificate.not_after:%Y-%m-%d}.")
    width = float(PdfReader(io.BytesIO(content)).pages[-1].mediabox.width)
    writer = IncrementalPdfFileWriter(io.BytesIO(content), strict=False)
    box = (
        int(width - STAMP_RIGHT_PT - STAMP_WIDTH_PT),
        STAMP_BOTTOM_PT,
        int(width - STAMP_RIGHT_PT),
        STAMP_BOTTOM_PT + STAMP_HEIGHT_PT,
    )
    fields.append_signature_field(writer, fields.SigFieldSpec(SIGNATURE_FIELD, on_page=-1, box=box))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Document issued by CareTrail",
        name=certificate.name,
    )
    style = stamp.TextStampStyle(
        stamp_text="Signé électroniquement par %(signer)s\nle %(signed_at)s",
        text_box_style=text.TextBoxStyle(font_size=7),
        border_width=1,
    )
    pdf_signer = signers.PdfSigner(metadata, signer=certificate.signer, stamp_style=style)
    try:
        output = run_async(
            pdf_signer.async_sign_pdf,
            writer,
            appearance_text_params={
                "signer": _latin1(certificate.name),
                "signed_at": now.strftime("%d/%m/%Y %H:%M:%S %Z"),
            },
        )
    except Exception as failure:  # pyHanko raises several kinds; none may become a 500
        log.exception("PDF signing failed")
        raise SigningFailed(f"The document could not be signed ({type(failure).__name__}).") from failure
    return output.getvalue()


def _latin1(text: str) -> str:
    """The stamp's core font (Courier, no font embedded: pyHanko needs
    uharfbuzz for others) shows Latin-1 only: é stays, ł becomes l, œ '?'."""
    return "".join(c if ord(c) < 0x7F or 0xA0 <= ord(c) <= 0xFF else _ascii(c) for c in text)


def _ascii(character: str) -> str:
    return unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode() or "?"


def _common_name(certificate) -> str:
    subject = certificate.subject.native
    return subject.get("common_name") or certificate.subject.human_friendly


@dataclass(frozen=True)
class SignatureCheck:
    """One embedded signature, as pyHanko found it."""

    signer: str | None
    signed_at: dt.datetime | None  # claimed by the signer (no timestamp authority)
    intact: bool  # the signed bytes match the signature's digest
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # the certificate chains to the configured certificate
    covers_whole_file: bool  # nothing was appended after signing
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file and not self.problem


@dataclass(frozen=True)
class Verification:
    """What `documents verify` reports about a document's bytes."""

    expected_sha256: str
    actual_sha256: str
    signatures: tuple[SignatureCheck, ...] = ()
    # The archive says the document was signed (documents.signed_by).
    expect_signature: bool = False
    # No trust root to check against (DOCUMENT_SIGNING_P12 not set).
    trust_unknown: bool = False
    # The bytes are not a readable PDF (what pyHanko's parser said).
    unreadable: str | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def hash_matches(self) -> bool:
        return self.expected_sha256 == self.actual_sha256

    @property
    def is_signed(self) -> bool:
        return bool(self.signatures)

    @property
    def signature_ok(self) -> bool | None:
        """None when there is no signature (and none was expected)."""
        if not self.signatures:
            return False if self.expect_signature else None
        return all(check.ok for check in self.signatures)

    @property
    def ok(self) -> bool:
        return self.hash_matches and self.signature_ok is not False and not self.unreadable and not self.problems

    def report(self) -> list[str]:
        """The lines `documents verify` prints."""
        lines = [
            f"SHA-256 {'matches' if self.hash_matches else 'DOES NOT MATCH'}: {self.actual_sha256}"
            + ("" if self.hash_matches else f" (archived: {self.expected_sha256})")
        ]
        if not self.signatures:
            lines.append(
                "Signature: MISSING (the archive says it was signed)" if self.expect_signature else "Not signed."
            )
        for check in self.signatures:
            verdict = "valid" if check.ok else "INVALID"
            lines.append(f"Signature {verdict}: signed by {check.signer or '?'}" + _when(check.signed_at))
            lines.append(
                f"  intact: {_yes(check.intact)}, cryptographically valid: {_yes(check.valid)},"
                f" covers the whole file: {_yes(check.covers_whole_file)},"
                f" chains to this hospital's certificate: {_yes(check.trusted)}"
            )
            if check.problem:
                lines.append(f"  {check.problem}")
        if self.trust_unknown and self.signatures:
            lines.append("  DOCUMENT_SIGNING_P12 is not set: nothing to check the signer against.")
        if self.signatures and all(check.ok for check in self.signatures):
            lines.append("  (a certificate of this hospital, not a qualified eIDAS signature unless it is one)")
        lines.extend(self.problems)
        lines.append("OK: the document is as issued." if self.ok else "FAILED: the document is not as issued.")
        return lines


def _yes(value: bool) -> str:
    return "yes" if value else "NO"


def _when(signed_at: dt.datetime | None) -> str:
    return f" at {signed_at:%Y-%m-%d %H:%M:%S %Z} (the signer's clock)" if signed_at else ""


def verify_document_bytes(
    content: bytes, expected_sha256: bytes | str, config=None, *, expect_signature: bool = False
) -> Verification:
    """The bytes' SHA-256 against the archived one and, when they carry a
    signature, the signature (trust roots: the configured certificate's chain;
    `config` defaults to the current app's)."""
    if config is None:
        from flask import current_app, has_app_context

        config = current_app.config if has_app_context() else {}
    expected = expected_sha256.hex() if isinstance(expected_sha256, bytes | bytearray) else str(expected_sha256)
    actual = hashlib.sha256(content).hexdigest()
    problems: list[str] = []
    try:
        certificate = configured_certificate(config)
    except SigningFailed as unusable:
        certificate = None
        problems.append(f"The configured certificate cannot be used: {unusable}")
    trust_roots = list(certificate.chain) if certificate else []
    zone = ZoneInfo(config.get("TIMEZONE") or "UTC")
    signatures, unreadable = (), None
    with _quiet_pyhanko():
        try:
            signatures = tuple(_check_signatures(content, trust_roots, zone))
        except Exception as damaged:  # pyHanko's parser raises many kinds
            unreadable = f"{type(damaged).__name__}: {damaged}"
    return Verification(
        expected_sha256=expected,
        actual_sha256=actual,
        signatures=signatures,
        expect_signature=expect_signature,
        trust_unknown=certificate is None,
        unreadable=unreadable,
        problems=tuple(problems),
    )


@contextlib.contextmanager
def _quiet_pyhanko():
    """pyHanko logs a traceback for every signature it finds invalid; the
    verification reports it instead."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _check_signatures(content: bytes, trust_roots: list, zone: ZoneInfo):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(content), strict=False)
    for embedded in reader.embedded_signatures:
        signer = _common_name(embedded.signer_cert) if embedded.signer_cert else None
        altered = _unsigned_gap_problem(content, embedded.byte_range)
        if altered:
            yield SignatureCheck(signer, None, False, False, False, False, problem=altered)
            continue
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
        try:
            status = run_async(async_validate_pdf_signature, embedded, context)
        except Exception as broken:  # a damaged signature: asn1crypto and pyHanko raise many kinds
            yield SignatureCheck(signer, None, False, False, False, False, problem=f"{type(broken).__name__}: {broken}")
            continue
        yield SignatureCheck(
            signer=signer,
            signed_at=status.signer_reported_dt.astimezone(zone) if status.signer_reported_dt else None,
            intact=bool(status.intact),
            valid=bool(status.valid),
            trusted=bool(status.trusted),
            covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        )


def _unsigned_gap_problem(content: bytes, byte_range) -> str | None:
    """What no signature covers, held to the one form our signer writes.

    A signed PDF's hash covers everything but the hole the signature sits
    in, `<hex of the CMS object, then zero padding>`; and in the CMS object
    itself the signature covers the signed attributes, not the list of digest
    algorithms nor the algorithms' parameters.  Readers ignore the padding
    and those fields, so a changed byte there would pass unseen: here the
    hole must hold a CMS object in strict DER, in one case of hexadecimal,
    naming only the algorithm its signer used, then zeros."""
    from asn1crypto import cms, parser

    start, end = int(byte_range[0]) + int(byte_range[1]), int(byte_range[2])
    hole = content[start:end]
    if len(hole) < 2 or hole[:1] != b"<" or hole[-1:] != b">":
        return "The signature's place in the file was altered."
    digits = hole[1:-1]
    try:
        decoded = bytes.fromhex(digits.decode("ascii"))
        _class, _method, _tag, header, body, trailer = parser.parse(decoded)
        der = decoded[: len(header) + len(body) + len(trailer)]
        info = cms.ContentInfo.load(der, strict=True)
        info.native  # noqa: B018 - parses every field: a malformed one raises
        signed = info["content"]
        [signer_info] = signed["signer_infos"]
        canonical = info.dump(force=True) == der
    except (ValueError, TypeError, KeyError):
        return "The signature's bytes were altered (not a well-formed CMS signature)."
    if decoded[len(der) :].strip(b"\0") or digits not in (digits.upper(), digits.lower()):
        return "The padding after the signature was altered (bytes no signature covers, but the archive does)."
    digest = signer_info["digest_algorithm"]
    if not canonical or [a.dump() for a in signed["digest_algorithms"]] != [digest.dump()]:
        return "The signature's unsigned fields were altered (its list of algorithms)."
    # RFC 5652 5.1 and 5.3: the versions follow from the signer's identifier
    # (and, for the SignedData, from the id-data content and x509 certificates).
    version = "v1" if signer_info["sid"].name == "issuer_and_serial_number" else "v3"
    if signer_info["version"].native != version or signed["version"].native != version:
        return "The signature's unsigned fields were altered (a version number)."
    parameters = [digest["parameters"]]
    if signer_info["signature_algorithm"]["algorithm"].native != "rsassa_pss":
        parameters.append(signer_info["signature_algorithm"]["parameters"])
    if any(p.dump() not in (b"", b"\x05\x00") for p in parameters):
        return "The signature's unsigned fields were altered (an algorithm's parameters)."
    return None


def make_demo_certificate(path, passphrase: str, common_name: str) -> Path:
    """A self-signed RSA key and certificate in a PKCS#12 file (for trying
    signatures, not for real documents); returns the path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    if not passphrase:
        raise ValueError("a passphrase is required")
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CareTrail demo (self-signed, not qualified)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=DEMO_CERTIFICATE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: what document signatures ask for
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        common_name.encode(), key, certificate, None, serialization.BestAvailableEncryption(passphrase.encode())
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created private (0600) before anything is written to it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    return path
