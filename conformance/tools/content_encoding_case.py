#!/usr/bin/env python3
"""Writes cases/content-encoding.case: compressed bodies as \\xHH escapes.

The compressed bytes are made here once and kept in the case file, so the
cases do not change when an encoder library does. Needs Python 3 with
brotlicffi (pip install brotlicffi) and the zstd command.

    python3 conformance/tools/content_encoding_case.py > conformance/cases/content-encoding.case
"""
import gzip
import subprocess
import zlib

import brotlicffi


def gz(data):
    return gzip.compress(data, mtime=0)


def zl(data):
    return zlib.compress(data)


def raw(data):
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def br(data):
    return brotlicffi.compress(data)


def zs(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout


def esc(data):
    """Escaped for a `send` line: letters and digits as they are, the rest \\xHH."""
    return "".join(chr(b) if chr(b).isalnum() and b < 128 else "\\x%02x" % b for b in data)


def trace_text(data):
    """A body as trace_line prints it (short bodies only)."""
    out = []
    for b in data:
        c = chr(b)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "fnv=%016x" % h


def shown(data):
    """A body as trace lines show it: quoted up to 64 bytes, else its hash."""
    return fnv(data) if len(data) > 64 else '"%s"' % trace_text(data)


def send_lines(data, width=48):
    return ["    send " + esc(data[i:i + width]) for i in range(0, len(data), width)]


def case(name, note, request, head, body, trace, end="close", extra=None):
    lines = ["case " + name, "note " + note, "request", "  url {origin}" + request.pop(0)]
    lines += ["  " + r for r in request]
    lines += ["server", "  step"]
    for e in extra or []:
        lines.append("    " + e)
    lines.append("    send " + head)
    lines += send_lines(body)
    lines.append("    " + end)
    lines += ["trace"] + ["  " + t for t in trace]
    return "\n".join(lines) + "\n"


def cl(status, headers, body):
    h = "HTTP/1.1 %s\\r\\n" % status
    for k, v in headers:
        h += "%s: %s\\r\\n" % (k, v.replace(" ", "\\s") if v.endswith(" ") else v)
    h += "Content-Length: %d\\r\\n\\r\\n" % len(body)
    return h


def done(text, url="{origin}/", status="200"):
    return "done %s HTTP/1.1 %s bytes=%d %s" % (status, url, len(text), shown(text))


def body_trace(text, chunk=8192):
    out, got = ["progress 0/?"], 0
    for i in range(0, len(text), chunk):
        piece = text[i:i + chunk]
        got += len(piece)
        out += ["body %d %s" % (len(piece), shown(piece)), "progress %d/?" % got]
    return out


TEXT = b"Hello, content codings!\n"
ALL = "gzip, deflate, br, zstd"

cases = []
for codec, enc, name in [("gzip", gz, "gzip"), ("deflate", zl, "deflate-zlib"), ("deflate", raw, "deflate-raw"),
                         ("br", br, "br"), ("zstd", zs, "zstd")]:
    data = enc(TEXT)
    cases.append(case(
        name + "-content-length",
        "A %s body with Content-Length: Body events carry the decoded bytes, Progress counts them, total unknown." % name,
        ["/"], cl("200 OK", [("Content-Encoding", codec)], data), data,
        body_trace(TEXT) + [done(TEXT)],
        extra=["expect-header Accept-Encoding: " + ALL]))

data = gz(TEXT)
half = len(data) // 2
cases.append(
    "case gzip-chunked\n"
    "note Chunked framing around gzip: the chunks' bytes are one compressed stream.\n"
    "request\n  url {origin}/\nserver\n  step\n"
    "    send HTTP/1.1 200 OK\\r\\nContent-Encoding: gzip\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n\n"
    + "    send %x\\r\\n\n" % half + "\n".join(send_lines(data[:half])) + "\n    send \\r\\n\n"
    + "    send %x\\r\\n\n" % (len(data) - half) + "\n".join(send_lines(data[half:])) + "\n    send \\r\\n0\\r\\n\\r\\n\n"
    + "    close\ntrace\n" + "\n".join("  " + t for t in body_trace(TEXT) + [done(TEXT)]) + "\n")

cases.append(case(
    "gzip-until-close", "A gzip body framed by the end of the connection.",
    ["/"], "HTTP/1.1 200 OK\\r\\nContent-Encoding: gzip\\r\\n\\r\\n", data,
    body_trace(TEXT) + [done(TEXT)]))

cases.append(case(
    "x-gzip-upper-case", "x-gzip is gzip, and coding names are case-insensitive.",
    ["/"], cl("200 OK", [("Content-Encoding", "X-GZIP")], data), data,
    body_trace(TEXT) + [done(TEXT)]))

stacked = gz(zl(TEXT))
cases.append(case(
    "stacked-deflate-gzip", "deflate, gzip: gzip is undone first, then deflate.",
    ["/"], cl("200 OK", [("Content-Encoding", "deflate, gzip")], stacked), stacked,
    body_trace(TEXT) + [done(TEXT)]))

stacked2 = br(zs(TEXT))
cases.append(case(
    "stacked-two-headers", "Two Content-Encoding lines are one list: zstd then br on the wire, br undone first.",
    ["/"], "HTTP/1.1 200 OK\\r\\nContent-Encoding: zstd\\r\\nContent-Encoding: br\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(stacked2),
    stacked2, body_trace(TEXT) + [done(TEXT)]))

cases.append(case(
    "identity-passes-through", "identity is no coding: the body is as sent and total is its length.",
    ["/"], cl("200 OK", [("Content-Encoding", "identity")], TEXT), TEXT,
    ["progress 0/%d" % len(TEXT), 'body %d "%s"' % (len(TEXT), trace_text(TEXT)),
     "progress %d/%d" % (len(TEXT), len(TEXT)), done(TEXT)]))

unk = b"not really compressed"
cases.append(case(
    "unknown-coding-passes-through", "A coding this build does not know: the body is delivered as sent, undecoded.",
    ["/"], cl("200 OK", [("Content-Encoding", "compress")], unk), unk,
    ["progress 0/%d" % len(unk), 'body %d "%s"' % (len(unk), trace_text(unk)),
     "progress %d/%d" % (len(unk), len(unk)), done(unk)]))

mixed = gz(TEXT)
cases.append(case(
    "unknown-in-a-stack-passes-through", "One unknown coding in the list: nothing is decoded.",
    ["/"], cl("200 OK", [("Content-Encoding", "gzip, x-custom")], mixed), mixed,
    ["progress 0/%d" % len(mixed), "body %d %s" % (len(mixed), shown(mixed)),
     "progress %d/%d" % (len(mixed), len(mixed)), done(mixed)]))

cases.append(case(
    "decompress-off", "decompress off: no Accept-Encoding is sent and the gzip body is delivered as sent.",
    ["/", "decompress off"], cl("200 OK", [("Content-Encoding", "gzip")], data), data,
    ["progress 0/%d" % len(data), "body %d %s" % (len(data), shown(data)),
     "progress %d/%d" % (len(data), len(data)), done(data)],
    extra=["expect-no-header Accept-Encoding"]))

cases.append(case(
    "user-accept-encoding-kept", "An Accept-Encoding the request sets is sent as it is, and gzip is still undone.",
    ["/", "header Accept-Encoding: gzip;q=1.0"], cl("200 OK", [("Content-Encoding", "gzip")], data), data,
    body_trace(TEXT) + [done(TEXT)], extra=["expect-header Accept-Encoding: gzip;q=1.0"]))

bad = bytearray(data)
bad[-8] ^= 0xff
bad = bytes(bad)
import struct
crc_said = struct.unpack("<I", bad[-8:-4])[0]
crc_real = zlib.crc32(TEXT)
cases.append(case(
    "gzip-checksum-mismatch", "A gzip trailer whose CRC-32 does not match the data: corrupt, naming gzip.",
    ["/"], cl("200 OK", [("Content-Encoding", "gzip")], bad), bad,
    ["progress 0/?", "failure content-encoding: gzip data corrupt within the first %d compressed bytes: "
     "CRC-32 mismatch: the trailer says %08x, the data gives %08x" % (len(bad), crc_said, crc_real)]))

bad2 = data[:10] + b"\xff" * 12 + data[22:]
cases.append(case(
    "gzip-corrupt-data", "Invalid deflate data inside gzip: corrupt, naming gzip.",
    ["/"], cl("200 OK", [("Content-Encoding", "gzip")], bad2), bad2,
    ["progress 0/?", "failure content-encoding: gzip data corrupt within the first %d compressed bytes: invalid deflate data" % len(bad2)]))

notgz = b"<html>plain</html>"
cases.append(case(
    "not-gzip", "A body labelled gzip that is not: corrupt from its first bytes.",
    ["/"], cl("200 OK", [("Content-Encoding", "gzip")], notgz), notgz,
    ["progress 0/?", "failure content-encoding: gzip data corrupt within the first %d compressed bytes: "
     "not gzip data (no 1f 8b magic bytes)" % len(notgz)]))

cut = data[:-6]
cases.append(case(
    "gzip-stream-cut-short", "The framing is complete but the gzip stream is not: content-encoding truncated.",
    ["/"], cl("200 OK", [("Content-Encoding", "gzip")], cut), cut,
    ["progress 0/?", "failure content-encoding: gzip data truncated: the body ended after %d compressed bytes: "
     "the gzip stream ended inside a member trailer" % len(cut)]))

zcut = zl(TEXT)[:-5]
cases.append(case(
    "deflate-stream-cut-short", "A zlib stream cut short inside its data.",
    ["/"], cl("200 OK", [("Content-Encoding", "deflate")], zcut), zcut,
    ["progress 0/?", "failure content-encoding: deflate data truncated: the body ended after %d compressed bytes: the deflate stream did not end" % len(zcut)]))

bcut = br(TEXT * 20)[:-3]
cases.append(case(
    "br-stream-cut-short", "A br stream cut short.",
    ["/"], cl("200 OK", [("Content-Encoding", "br")], bcut), bcut,
    ["progress 0/?", "failure content-encoding: br data truncated: the body ended after %d compressed bytes: the br stream did not end" % len(bcut)]))

zscut = zs(TEXT)[:-2]
cases.append(case(
    "zstd-stream-cut-short", "A zstd frame cut short.",
    ["/"], cl("200 OK", [("Content-Encoding", "zstd")], zscut), zscut,
    ["progress 0/?", "failure content-encoding: zstd data truncated: the body ended after %d compressed bytes: the zstd frame did not end" % len(zscut)]))

cases.append(
    "case gzip-framing-truncated\n"
    "note The connection ends before Content-Length: the framing's truncated failure, not the codec's.\n"
    "request\n  url {origin}/\nserver\n  step\n"
    "    send HTTP/1.1 200 OK\\r\\nContent-Encoding: gzip\\r\\nContent-Length: %d\\r\\n\\r\\n\n" % (len(data) + 10)
    + "\n".join(send_lines(data)) + "\n    close\ntrace\n  progress 0/?\n  failure truncated: response ended after %d of %d body bytes\n" % (len(data), len(data) + 10))

trailing = data + b"garbage!"
cases.append(case(
    "gzip-trailing-garbage", "Bytes after the gzip member that are not another member: corrupt.",
    ["/"], cl("200 OK", [("Content-Encoding", "gzip")], trailing), trailing,
    ["progress 0/?", "failure content-encoding: gzip data corrupt within the first %d compressed bytes: "
     "bytes follow the end of the gzip stream" % len(trailing)]))

two = gz(b"first member, ") + gz(b"second member")
cases.append(case(
    "gzip-two-members", "Two gzip members one after the other decode to their texts joined.",
    ["/"], cl("200 OK", [("Content-Encoding", "gzip")], two), two,
    body_trace(b"first member, second member") + [done(b"first member, second member")]))

cases.append(case(
    "gzip-empty-body", "An empty body with a coding is an empty body.",
    ["/"], "HTTP/1.1 200 OK\\r\\nContent-Encoding: gzip\\r\\nContent-Length: 0\\r\\n\\r\\n", b"",
    ["progress 0/?", 'done 200 HTTP/1.1 {origin}/ bytes=0 ""']))

cases.append(case(
    "head-untouched", "HEAD: no body, nothing to decode, total 0.",
    ["/", "method HEAD"], "HTTP/1.1 200 OK\\r\\nContent-Encoding: gzip\\r\\nContent-Length: 40\\r\\n\\r\\n", b"",
    ["progress 0/0", 'done 200 HTTP/1.1 {origin}/ bytes=0 ""'], end="keep"))

cases.append(case(
    "304-untouched", "304 has no body whatever its Content-Encoding.",
    ["/"], "HTTP/1.1 304 Not Modified\\r\\nContent-Encoding: br\\r\\nContent-Length: 40\\r\\n\\r\\n", b"",
    ["progress 0/0", 'done 304 HTTP/1.1 {origin}/ bytes=0 ""'], end="keep"))

cases.append(case(
    "204-untouched", "204 has no body whatever its Content-Encoding.",
    ["/"], "HTTP/1.1 204 No Content\\r\\nContent-Encoding: zstd\\r\\n\\r\\n", b"",
    ["progress 0/0", 'done 204 HTTP/1.1 {origin}/ bytes=0 ""'], end="keep"))

rechunk = b"abcdefghij"
rdata = gz(rechunk)
cases.append(case(
    "decoded-bytes-recut", "chunk_size applies to the decoded bytes.",
    ["/", "chunk_size 4"], cl("200 OK", [("Content-Encoding", "gzip")], rdata), rdata,
    body_trace(rechunk, 4) + [done(rechunk)]))

js = b'{"coded": true}'
jdata = gz(js)
cases.append(case(
    "gzip-json", "A gzip JSON body is decoded, then parsed.",
    ["/"], cl("200 OK", [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], jdata), jdata,
    body_trace(js) + ['done 200 HTTP/1.1 {origin}/ json={"coded":true}']))

big = b"a" * 100000
bdata = gz(big)
cases.append(case(
    "max-body-counts-decoded", "max_body_bytes counts decoded bytes: 1000 are delivered, then body-too-large.",
    ["/", "max_body_bytes 1000", "chunk_size 1000"], cl("200 OK", [("Content-Encoding", "gzip")], bdata), bdata,
    ["progress 0/?", "body 1000 " + shown(big[:1000]), "progress 1000/?", "failure body-too-large: response body is larger than the limit of 1000 bytes"]))

bomb = gz(b"\0" * (8 << 20))
cases.append(case(
    "gzip-bomb", "8 MiB of zeros in %d bytes: past the ratio limit once past the 1 MiB floor." % len(bomb),
    ["/", "collect_body off", "chunk_size 1048576"], cl("200 OK", [("Content-Encoding", "gzip")], bomb), bomb,
    ["progress 0/?", "failure decompression-bomb: gzip data decodes to more than 100 times its size (past 1048576 bytes from %d compressed bytes): refused as a decompression bomb" % len(bomb)]))

redir = gz(b"moved")
cases.append(
    "case redirect-body-not-decoded\n"
    "note A redirect's gzip body is drained as sent (even when corrupt), then the final body is decoded.\n"
    "request\n  url {origin}/a\nserver\n  step\n"
    "    send HTTP/1.1 302 Found\\r\\nLocation: /b\\r\\nContent-Encoding: gzip\\r\\nContent-Length: 5\\r\\n\\r\\nXXXXX\n"
    "    keep\n  step\n    expect-request-line GET /b HTTP/1.1\n    expect-header Accept-Encoding: " + ALL + "\n"
    "    send " + cl("200 OK", [("Content-Encoding", "gzip")], data) + "\n" + "\n".join(send_lines(data)) + "\n    keep\n"
    "trace\n  redirect 302 GET {origin}/a -> {origin}/b\n" + "\n".join("  " + t for t in body_trace(TEXT) + [done(TEXT, "{origin}/b")]) + "\n")

print("# Content codings (RFC 9110 section 8.4), undone by the core.")
print("# Generated by conformance/tools/content_encoding_case.py: compressed bodies")
print("# are \\xHH escapes of bytes made once, so an encoder update changes nothing.")
print("# Failure details after the codec's name quote what its decoder found.")
print()
print("\n".join(cases))
