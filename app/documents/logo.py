"""The hospital's logo, checked by what the bytes are, never by the file's name.

- PNG and JPEG: Pillow opens and verifies the image; its size in pixels is
  capped (a small file may still claim a gigantic picture).
- SVG: parsed by lxml without entities, DTDs nor network; refused when it
  could run or fetch anything: <script>, <foreignObject> (embedded HTML),
  event handler attributes (onload...), links (href, xlink:href, src) other
  than to the same document ("#id") or to an embedded data:image, and CSS
  url(...) or @import pointing elsewhere.
Every document embeds the logo as a data: URL; the settings screen serves it
with a Content-Security-Policy that runs nothing.

The size cap is the database's too (hospital_settings_logo_check).
"""

import io
import re

from lxml import etree
from PIL import Image, UnidentifiedImageError

from app.documents.errors import DocumentInputError

LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_PIXELS = 4000  # per side
PILLOW_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
SVG_NS = "http://www.w3.org/2000/svg"
# Elements that run code, embed other documents or change links on their own.
SVG_REFUSED_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"}
SVG_ANIMATIONS = {"set", "animate", "animatetransform", "animatemotion"}
LINK_ATTRIBUTES = {"href", "src"}
SAFE_LINK = re.compile(r"^\s*(#|data:image/)", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)


def refuse(message: str) -> DocumentInputError:
    return DocumentInputError("logo", message)


def validate_logo(data: bytes) -> str:
    """The logo's media type (image/png, image/jpeg or image/svg+xml);
    DocumentInputError on `logo` saying why it is refused."""
    if not data:
        raise refuse("The file is empty.")
    if len(data) > LOGO_MAX_BYTES:
        raise refuse(f"The logo is {len(data) // 1024} KB; {LOGO_MAX_BYTES // 1024} KB at most.")
    media_type = _raster_type(data)
    if media_type is not None:
        return media_type
    if _looks_like_xml(data):
        _check_svg(data)
        return "image/svg+xml"
    raise refuse("This file is not a PNG, JPEG or SVG image (whatever its name says).")


def _raster_type(data: bytes) -> str | None:
    """image/png or image/jpeg for a sound picture of a reasonable size; None when it is neither format."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            media_type = PILLOW_FORMATS.get(image.format)
            if media_type is None:
                raise refuse(f"A {image.format} image is not accepted: PNG, JPEG or SVG.")
            width, height = image.size
            image.verify()
    except UnidentifiedImageError:
        return None
    except Image.DecompressionBombError:
        raise refuse(f"The image is too large: {LOGO_MAX_PIXELS} x {LOGO_MAX_PIXELS} pixels at most.") from None
    except (OSError, SyntaxError, ValueError) as broken:
        raise refuse(f"The image is damaged ({broken.__class__.__name__}).") from None
    if not (1 <= width <= LOGO_MAX_PIXELS and 1 <= height <= LOGO_MAX_PIXELS):
        raise refuse(f"The image is {width} x {height} pixels; {LOGO_MAX_PIXELS} x {LOGO_MAX_PIXELS} at most.")
    return media_type


def _looks_like_xml(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _check_svg(data: bytes) -> None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as bad:
        raise refuse(f"This SVG is not well-formed XML (line {bad.lineno}).") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise refuse("An SVG logo may not declare a DOCTYPE with entities.")
    if etree.QName(root).localname != "svg" or etree.QName(root).namespace not in (SVG_NS, None):
        raise refuse("This file is not an SVG image (its root element is not <svg>).")
    for node in root.iter():
        if isinstance(node, etree._ProcessingInstruction):
            raise refuse("An SVG logo may not contain processing instructions (e.g. an external style sheet).")
        if isinstance(node, etree._Entity):
            raise refuse("An SVG logo may not use entities.")
        if not isinstance(node.tag, str):
            continue  # a comment
        name = etree.QName(node).localname.lower()
        if name in SVG_REFUSED_ELEMENTS:
            raise refuse(f"An SVG logo may not contain <{etree.QName(node).localname}> (it could run code).")
        if name in SVG_ANIMATIONS and (node.get("attributeName") or "").split(":")[-1].lower() in LINK_ATTRIBUTES:
            raise refuse("An SVG logo may not animate a link.")
        if name == "style":
            _check_css(node.text or "")
        for attribute, value in node.attrib.items():
            _check_attribute(etree.QName(attribute).localname.lower(), value)


def _check_attribute(name: str, value: str) -> None:
    if name.startswith("on"):
        raise refuse(f"An SVG logo may not have event handlers ({name}).")
    if name in LINK_ATTRIBUTES and not SAFE_LINK.match(value):
        raise refuse(f"An SVG logo may only link inside itself ({name}={value[:60]!r} refused).")
    if name == "style" or "url(" in value.lower():
        _check_css(value)


def _check_css(css: str) -> None:
    if "@import" in css.lower():
        raise refuse("An SVG logo may not import style sheets.")
    for target in CSS_URL.findall(css):
        if not SAFE_LINK.match(target):
            raise refuse(f"An SVG logo may only refer to itself in its styles (url({target[:60]}) refused).")
