// Modified UTF-7, the way IMAP spells folder names that are not plain ASCII (RFC 3501 §5.1.3).
//
//   "Entwürfe"  ⇄  "Entw&APw-rfe"        "已发送"  ⇄  "&XfJT0ZAB-"        "R&D"  ⇄  "R&-D"
//
// IMAP4rev1 dates from a time when many programs broke on 8-bit bytes, so a folder name on the
// wire is 7-bit ASCII: printable ASCII stands for itself, "&" is written "&-", and any run of
// other characters becomes "&", its UTF-16 code units in base64 (with "," instead of "/" and
// no "=" padding), "-". Dovecot's Maildir++ folders use the same spelling on disk, so we do too.

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/** Unicode text → modified UTF-7. */
export function encodeMailboxName(name: string): string {
  let out = "";
  let pending: number[] = []; // UTF-16 code units waiting to be base64-encoded
  const flush = () => {
    if (pending.length === 0) return;
    const bytes = Buffer.alloc(pending.length * 2);
    pending.forEach((unit, i) => bytes.writeUInt16BE(unit, i * 2));
    out += "&" + bytes.toString("base64").replace(/=+$/, "").replace(/\//g, ",") + "-";
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (unit >= 0x20 && unit <= 0x7e) {
      flush();
      out += unit === 0x26 ? "&-" : name[i];
    } else {
      pending.push(unit);
    }
  }
  flush();
  return out;
}

/** Modified UTF-7 → Unicode text; throws on a spelling RFC 3501 §5.1.3 does not allow. */
export function decodeMailboxName(encoded: string): string {
  let out = "";
  for (let i = 0; i < encoded.length; i++) {
    const char = encoded[i];
    const code = encoded.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) throw new Error(`mailbox name "${encoded}" is not 7-bit: use modified UTF-7 (RFC 3501 §5.1.3)`);
    if (char !== "&") {
      out += char;
      continue;
    }
    const end = encoded.indexOf("-", i);
    if (end === -1) throw new Error(`mailbox name "${encoded}": "&" without its closing "-"`);
    const run = encoded.slice(i + 1, end);
    i = end;
    if (run === "") {
      out += "&";
      continue;
    }
    if ([...run].some((c) => !BASE64.includes(c))) throw new Error(`mailbox name "${encoded}": bad modified base64 "${run}"`);
    const bytes = Buffer.from(run.replace(/,/g, "/"), "base64");
    if (bytes.length === 0 || bytes.length % 2 !== 0) throw new Error(`mailbox name "${encoded}": "&${run}-" is not whole UTF-16 characters`);
    for (let b = 0; b < bytes.length; b += 2) out += String.fromCharCode(bytes.readUInt16BE(b));
  }
  return out;
}
