#!/usr/bin/python3
"""The real-client HTTP File Upload (XEP-0363) test, played by slixmpp.

ALICE finds the upload service by service discovery (an item of her domain
with identity store/file and the urn:xmpp:http:upload:0 feature, whose
form says max-file-size), and uploads two files with slixmpp's xep_0363
plugin (slot request, then an HTTP PUT with the slot's headers, by
aiohttp): an image with a space and a non-ASCII letter in its name and a
text file. She sends each URL to BOB with an XEP-0066 out-of-band element,
as Conversations and Gajim do; BOB downloads them with a plain HTTP GET and
compares bytes and content type. The GET URLs must be under --base-url
when given (the server's HTTP surface).

Then what must be refused is: a slot for a file over max-file-size
(not-acceptable with <file-too-large/> naming the limit), a second PUT to
a slot already uploaded (409), a PUT without the slot's token (401) and a
GET of a name the slot was not for (404).

Prints one line per step; exits 0 on success, 1 on a failed assertion or
timeout. Meant for Debian's python3-slixmpp (1.8) with python3-aiohttp,
hence /usr/bin/python3.
"""

import asyncio
import hashlib
import io
import os
import sys

from peer import Client as Base, Failure, arguments, run, slixmpp, step as say

try:
    import aiohttp
    from slixmpp.plugins.xep_0363.http_upload import FileUploadError
except ImportError as err:
    print("aiohttp or slixmpp's xep_0363 is not installed: %s" % err, file=sys.stderr)
    sys.exit(3)

NS_UPLOAD = "urn:xmpp:http:upload:0"
NS_OOB = "jabber:x:oob"


def parse_args():
    p = arguments(__doc__, alice="alice-upload", bob="bob-upload")
    p.add_argument("--base-url", default="", help="where every GET URL must point")
    p.add_argument("--size", type=int, default=300000, help="bytes of the image uploaded")
    return p.parse_args()


def step(text):
    say("upload", text)


class Client(Base):
    def __init__(self, jid, password):
        super().__init__("upload", jid, password, ("xep_0030", "xep_0004", "xep_0128", "xep_0363"))
        self.inbox = asyncio.Queue()
        self.xmpp.add_event_handler(
            "message", lambda m: self.inbox.put_nowait(m) if m["type"] in ("chat", "normal") else None)


def send_link(sender, to, url):
    """A chat message carrying url as body and as XEP-0066 out-of-band data."""
    msg = sender.xmpp.make_message(mto=to, mbody=url, mtype="chat")
    oob = slixmpp.ET.SubElement(msg.xml, "{%s}x" % NS_OOB)
    slixmpp.ET.SubElement(oob, "{%s}url" % NS_OOB).text = url
    msg.send()


async def receive_link(receiver):
    msg = await receiver.inbox.get()
    url = msg.xml.findtext("{%s}x/{%s}url" % (NS_OOB, NS_OOB))
    if not url or url != msg["body"]:
        raise Failure("%s: the link message has no matching out-of-band URL: %s" % (receiver.name, msg))
    return url


async def discover(client, domain):
    """The upload service among domain's disco#items and its max-file-size,
    found as xep_0363's find_upload_service does: Debian's slixmpp 1.8.3
    cannot run that one on Python 3.11 (its get_info_from_domain passes
    coroutines to asyncio.wait)."""
    disco = client.xmpp["xep_0030"]
    items = await disco.get_items(domain)
    for item in items["disco_items"]["items"]:
        info = (await disco.get_info(item[0]))["disco_info"]
        if not any(i[0] == "store" and i[1] == "file" for i in info["identities"]):
            continue
        if NS_UPLOAD not in info["features"]:
            raise Failure("%s is a file store without the %s feature" % (item[0], NS_UPLOAD))
        for form in info.iterables:
            values = form["values"] if form.name == "x" else {}
            if values.get("FORM_TYPE") == [NS_UPLOAD] or values.get("FORM_TYPE") == NS_UPLOAD:
                try:
                    return slixmpp.JID(item[0]), int(values["max-file-size"])
                except (KeyError, TypeError, ValueError):
                    raise Failure("%s's %s form has no max-file-size: %s" % (item[0], NS_UPLOAD, values))
        raise Failure("%s's disco#info has no %s form: %s" % (item[0], NS_UPLOAD, info))
    raise Failure("no upload service (identity store/file) among the disco#items of %s" % domain)


async def download(http, url, want, ctype):
    async with http.get(url) as resp:
        body = await resp.read()
        if resp.status != 200:
            raise Failure("GET %s: %d %s" % (url, resp.status, body[:200]))
        if resp.content_type != ctype:
            raise Failure("GET %s: Content-Type %s, want %s" % (url, resp.content_type, ctype))
    if body != want:
        raise Failure("GET %s: %d bytes (sha256 %s), uploaded %d (sha256 %s)" % (
            url, len(body), hashlib.sha256(body).hexdigest()[:16], len(want), hashlib.sha256(want).hexdigest()[:16]))
    return len(body)


async def scenario(a):
    d = a.domain
    alice = Client("%s@%s/upload" % (a.alice, d), a.password)
    bob = Client("%s@%s/upload" % (a.bob, d), a.password)
    for c in (alice, bob):
        await c.login(a.host, a.port)
    B = bob.xmpp.boundjid.bare
    up = alice.xmpp["xep_0363"]

    service, limit = await discover(alice, d)
    up.upload_service, up.max_file_size = service, limit
    step("found the upload service %s" % service)

    image = b"\x89PNG\r\n\x1a\n" + os.urandom(a.size - 8)
    name = "holiday photo \u00fc.png"
    url = await up.upload_file(name, input_file=io.BytesIO(image), content_type="image/png")
    if a.base_url and not url.startswith(a.base_url + "/"):
        raise Failure("GET URL %s is not under %s" % (url, a.base_url))
    step("uploaded %d bytes as %s (max-file-size %d)" % (len(image), url, up.max_file_size))
    text = ("a text file from slixmpp, %s\n" % os.urandom(8).hex()).encode()
    turl = await up.upload_file("notes.txt", input_file=io.BytesIO(text), content_type="text/plain")
    step("uploaded %d bytes as %s" % (len(text), turl))

    send_link(alice, B, url)
    send_link(alice, B, turl)
    got, tgot = await receive_link(bob), await receive_link(bob)
    if (got, tgot) != (url, turl):
        raise Failure("%s got the links %s, %s; sent %s, %s" % (B, got, tgot, url, turl))
    async with aiohttp.ClientSession() as http:
        n = await download(http, got, image, "image/png")
        step("%s downloaded the image: %d bytes, the same" % (B, n))
        n = await download(http, tgot, text, "text/plain")
        step("%s downloaded the text file: %d bytes, the same" % (B, n))

        # Refusals.
        try:
            await up.request_slot(service, "huge.bin", up.max_file_size + 1, "application/octet-stream")
        except slixmpp.exceptions.IqError as err:
            big = err.iq.xml.find("{jabber:client}error/{%s}file-too-large" % NS_UPLOAD)
            limit = err.iq.xml.findtext("{jabber:client}error/{%s}file-too-large/{%s}max-file-size" % (NS_UPLOAD, NS_UPLOAD))
            if err.condition != "not-acceptable" or big is None or limit != str(up.max_file_size):
                raise Failure("a slot over the limit: %s %s, want not-acceptable with file-too-large %d" % (
                    err.condition, err.iq, up.max_file_size))
            step("a slot for %d bytes is refused: %s, file-too-large %s" % (up.max_file_size + 1, err.condition, limit))
        else:
            raise Failure("got a slot for %d bytes, over max-file-size" % (up.max_file_size + 1))

        body = b"once only"
        slot = (await up.request_slot(service, "once.txt", len(body), "text/plain"))["http_upload_slot"]
        put = slot["put"]["url"]
        headers = {h["name"]: h["value"] for h in slot["put"]["headers"]}
        async with http.put(put, data=body, headers={"Content-Type": "text/plain"}) as resp:
            if resp.status != 401:
                raise Failure("PUT without the slot's token: %d, want 401" % resp.status)
        step("a PUT without the slot's token is refused: 401")
        async with http.put(put, data=body, headers={"Content-Type": "text/plain", **headers}) as resp:
            if resp.status not in (200, 201):
                raise Failure("PUT %s: %d %s" % (put, resp.status, await resp.text()))
        async with http.put(put, data=b"twice now", headers={"Content-Type": "text/plain", **headers}) as resp:
            if resp.status != 409:
                raise Failure("a second PUT to %s: %d, want 409" % (put, resp.status))
        step("a second PUT to an uploaded slot is refused: 409")
        await download(http, slot["get"]["url"], body, "text/plain")
        other = slot["get"]["url"].rsplit("/", 1)[0] + "/other.txt"
        async with http.get(other) as resp:
            if resp.status != 404:
                raise Failure("GET %s: %d, want 404" % (other, resp.status))
        step("a GET of another name in the slot is refused: 404")

    for c in (alice, bob):
        await c.xmpp.disconnect(wait=1)


def main():
    run("upload", scenario, parse_args(), errors=(FileUploadError, aiohttp.ClientError))


if __name__ == "__main__":
    main()
