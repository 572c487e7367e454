// One side of the real-client MUC acceptance test, played by xmpp.js
// (@xmpp/client, pinned in package.json). Same roles, arguments, output and
// exit codes as ../slixmpp/mucpeer.py, so the two can be paired either way.
//
// Run as the room OWNER it logs in, joins (and so creates) the room, fetches
// the muc#owner configuration form and submits it with a room name (which
// unlocks the room), sends a mediated invitation to the peer, waits for the
// peer to join, says "hello from NICK" and waits for the peer's reply.
//
// Run as the GUEST it logs in, prints READY (the test waits for that line
// before starting the owner), waits for the mediated invitation, joins,
// waits for the owner's hello and answers it.
//
// Exit codes: 0 success, 1 failed assertion or timeout, 2 bad arguments.
//
//   node mucpeer.js owner|guest --host H --port P --jid alice@localhost
//     --room r@conference.localhost --nick alice --peer-jid bob@localhost
//     --peer-nick bob [--password pw] [--timeout 20] [--verbose]
//     [--service ws://H:P/xmpp-websocket]
//
// STARTTLS is used when offered, without checking the certificate (the test
// servers use self-signed ones).

import { parseArgs } from "node:util";
import { client, xml, jid as parseJID } from "@xmpp/client";

const NS_MUC = "http://jabber.org/protocol/muc";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
const NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner";
const NS_DATA = "jabber:x:data";
const ROOM_NAME = "Real clients";

class Failure extends Error {}

let opts;
try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "5222" },
      // A service URL instead of xmpp://host:port, e.g. ws://h:p/xmpp-websocket
      // for XMPP over WebSocket (RFC 7395; Node 20 needs --experimental-websocket).
      service: { type: "string" },
      jid: { type: "string" },
      password: { type: "string", default: "password" },
      resource: { type: "string", default: "xmppjs" },
      room: { type: "string" },
      nick: { type: "string" },
      "peer-jid": { type: "string" },
      "peer-nick": { type: "string" },
      timeout: { type: "string", default: "20" },
      verbose: { type: "boolean", short: "v", default: false },
    },
  });
  opts = { ...values, role: positionals[0] };
  if (positionals.length !== 1 || !["owner", "guest"].includes(opts.role)) {
    throw new Error("want exactly one role: owner or guest");
  }
  for (const k of ["jid", "room", "nick", "peer-jid", "peer-nick"]) {
    if (!opts[k]) throw new Error(`--${k} is required`);
  }
} catch (err) {
  console.error(`usage: ${err.message}`);
  process.exit(2);
}

// The test servers' certificates are self-signed.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
process.removeAllListeners("warning");

const me = parseJID(opts.jid);
const room = parseJID(opts.room);
const occupant = (nick) => parseJID(`${opts.room}/${nick}`);

function step(text) {
  console.log(`xmpp.js ${opts.role}: ${text}`);
}

const xmpp = client({
  service: opts.service ?? `xmpp://${opts.host}:${opts.port}`,
  domain: me.domain,
  resource: opts.resource,
  // xmpp.js's own waits (the stream's opening, the answer to <starttls/>)
  // give up after 2 s by default, which a loaded machine's scheduler can
  // exceed: they wait as long as the whole run may (--timeout) instead.
  timeout: Number(opts.timeout) * 1000,
  // xmpp.js refuses PLAIN on a plain-text stream; the test servers without
  // TLS (Prosody's test setup) offer nothing else, so pick it ourselves.
  credentials: async (authenticate, mechanisms) => {
    const mech = mechanisms.find((m) => m !== "PLAIN") ?? mechanisms[0];
    await authenticate({ username: me.local, password: opts.password }, mech);
  },
});
xmpp.reconnect.stop();

// inbox holds every stanza not yet claimed by expect(); waiter is the one
// pending expect(), if any.
const inbox = [];
let waiter = null;
let failure = null;

function deliver() {
  if (!waiter) return;
  if (failure) {
    const w = waiter;
    waiter = null;
    w.reject(new Failure(`${failure} while waiting for ${w.what}`));
    return;
  }
  while (inbox.length > 0) {
    const st = inbox.shift();
    if (st.attrs.type === "error") {
      const w = waiter;
      waiter = null;
      w.reject(new Failure(`error stanza while waiting for ${w.what}: ${st}`));
      return;
    }
    if (waiter.pred(st)) {
      const w = waiter;
      waiter = null;
      w.resolve(st);
      return;
    }
    if (opts.verbose) step(`skipping ${st}`);
  }
}

// expect resolves with the first stanza for which pred is true; error
// stanzas fail the test, others are skipped.
function expect(what, pred) {
  return new Promise((resolve, reject) => {
    waiter = { what, pred, resolve, reject };
    deliver();
  });
}

let closing = false;
xmpp.on("stanza", (st) => {
  if (opts.verbose) step(`in ${st}`);
  if (st.is("message") || st.is("presence")) {
    inbox.push(st);
    deliver();
  }
});
xmpp.on("error", (err) => {
  failure ??= `client error: ${err.message}`;
  deliver();
});
xmpp.on("offline", () => {
  if (closing) return;
  failure ??= "disconnected";
  deliver();
});

function from(st) {
  return parseJID(st.attrs.from ?? "");
}

function statusCodes(pres) {
  const x = pres.getChild("x", NS_MUC_USER);
  return new Set((x?.getChildren("status") ?? []).map((s) => s.attrs.code));
}

async function join(created) {
  await xmpp.send(xml("presence", { to: occupant(opts.nick).toString() }, xml("x", { xmlns: NS_MUC })));
  const pres = await expect("our own presence in the room", (st) =>
    st.is("presence") && from(st).equals(occupant(opts.nick)));
  const codes = statusCodes(pres);
  if (!codes.has("110")) throw new Failure(`own presence lacks status 110: ${pres}`);
  if (created && !codes.has("201")) throw new Failure(`room was not newly created (no status 201): ${pres}`);
  step(`joined ${opts.room} as ${opts.nick} (status ${[...codes].sort().join(" ")})`);
}

function say(text) {
  return xmpp.send(xml("message", { to: opts.room, type: "groupchat" }, xml("body", {}, text)));
}

async function hear(nick, text) {
  const msg = await expect(`"${text}" from ${nick}`, (st) =>
    st.is("message") && st.attrs.type === "groupchat" &&
    from(st).equals(occupant(nick)) && st.getChild("body"));
  const body = msg.getChildText("body");
  if (body !== text) throw new Failure(`from ${nick}: got "${body}", want "${text}"`);
  step(`heard "${text}" from ${nick}`);
}

// submitted turns the server's form into the submit form a user would send
// after changing the room name: every field keeps its value.
function submitted(form) {
  const out = xml("x", { xmlns: NS_DATA, type: "submit" });
  let named = false;
  for (const f of form.getChildren("field")) {
    if (!f.attrs.var || f.attrs.type === "fixed") continue;
    let values = f.getChildren("value").map((v) => v.text());
    if (f.attrs.var === "muc#roomconfig_roomname") {
      values = [ROOM_NAME];
      named = true;
    }
    out.append(xml("field", { var: f.attrs.var }, ...values.map((v) => xml("value", {}, v))));
  }
  if (!named) throw new Failure(`config form has no muc#roomconfig_roomname: ${form}`);
  return out;
}

async function owner() {
  await join(true);
  const res = await xmpp.iqCaller.request(
    xml("iq", { type: "get", to: opts.room }, xml("query", { xmlns: NS_MUC_OWNER })));
  const form = res.getChild("query", NS_MUC_OWNER)?.getChild("x", NS_DATA);
  if (!form) throw new Failure(`no config form in ${res}`);
  const submit = submitted(form);
  await xmpp.iqCaller.request(
    xml("iq", { type: "set", to: opts.room }, xml("query", { xmlns: NS_MUC_OWNER }, submit)));
  step(`configured the room (${submit.getChildren("field").length} fields)`);
  await xmpp.send(xml("message", { to: opts.room },
    xml("x", { xmlns: NS_MUC_USER }, xml("invite", { to: opts["peer-jid"] }, xml("reason", {}, "acceptance test")))));
  step(`invited ${opts["peer-jid"]}`);
  await expect(`${opts["peer-nick"]} joining`, (st) =>
    st.is("presence") && from(st).equals(occupant(opts["peer-nick"])) && st.attrs.type !== "unavailable");
  step(`saw ${opts["peer-nick"]} join`);
  await say(`hello from ${opts.nick}`);
  await hear(opts.nick, `hello from ${opts.nick}`);
  await hear(opts["peer-nick"], `hello from ${opts["peer-nick"]}`);
}

async function guest() {
  console.log("READY");
  const inv = await expect(`an invitation to ${opts.room}`, (st) =>
    st.is("message") && from(st).equals(room) && st.getChild("x", NS_MUC_USER)?.getChild("invite"));
  const inviter = parseJID(inv.getChild("x", NS_MUC_USER).getChild("invite").attrs.from ?? "");
  // A semi-anonymous room (the default) may hide the inviter's real JID
  // behind their occupant JID, as Prosody does.
  if (!inviter.bare().equals(parseJID(opts["peer-jid"]).bare()) && !inviter.equals(occupant(opts["peer-nick"]))) {
    throw new Failure(`invitation is from "${inviter}", want ${opts["peer-jid"]} or their occupant JID: ${inv}`);
  }
  step(`invited by ${inviter}`);
  await join(false);
  await hear(opts["peer-nick"], `hello from ${opts["peer-nick"]}`);
  await say(`hello from ${opts.nick}`);
  await hear(opts.nick, `hello from ${opts.nick}`);
}

function withTimeout(promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Failure(`timed out after ${opts.timeout}s`)), Number(opts.timeout) * 1000);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

try {
  await withTimeout((async () => {
    const address = await xmpp.start();
    await xmpp.send(xml("presence"));
    step(`logged in as ${address}`);
    await (opts.role === "owner" ? owner() : guest());
  })());
} catch (err) {
  // XMPP errors (SASL failures, stream errors) are reports, not bugs here.
  const why = err instanceof Failure ? err.message : err.condition ? `${err.name}: ${err.message}` : err.stack ?? err;
  console.error(`FAIL: xmpp.js ${opts.role}: ${why}`);
  process.exit(1);
}
closing = true;
await Promise.race([xmpp.stop(), new Promise((r) => setTimeout(r, 1000))]);
step("ok");
process.exit(0);
