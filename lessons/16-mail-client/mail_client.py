# Lesson 16 in Python: Core Python's 17-24 — myMail reading with IMAP or POP3, the user's choice —
# and 17-26's list of subjects, with imaplib and poplib. Run from the repository root:
#   python3 lessons/16-mail-client/mail_client.py imap [port]      (default 1143)
#   python3 lessons/16-mail-client/mail_client.py pop3 [port]      (default 1110)
# Both print the newest 10 subjects of me@example.com, decoded, the same way.
import imaplib
import poplib
import sys
from email import message_from_bytes
from email.header import decode_header, make_header
from email.utils import parseaddr

USER, PASSWORD, HOST = 'me@example.com', 'secret', '127.0.0.1'


def decoded(value):
    """'=?UTF-8?B?5p2l6Ieq?=' -> '来自' (RFC 2047): what imapflow and mailparser do for us."""
    return str(make_header(decode_header(value or '')))


def imap_subjects(port):
    server = imaplib.IMAP4(HOST, port)
    server.login(USER, PASSWORD)
    server.select('INBOX', readonly=True)          # EXAMINE: looking changes nothing
    typ, data = server.uid('SEARCH', None, 'ALL')   # UIDs, not sequence numbers
    uids = sorted((int(uid) for uid in data[0].split()), reverse=True)[:10]
    rows = []
    for uid in uids:
        typ, data = server.uid('FETCH', str(uid), '(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])')
        headers = message_from_bytes(data[0][1])
        rows.append((uid, headers['From'], headers['Subject']))
    server.logout()
    return rows


def pop3_subjects(port):
    server = poplib.POP3(HOST, port)
    server.user(USER)
    server.pass_(PASSWORD)                          # pass_: "pass" is a Python keyword (17-20)
    count = len(server.list()[1])
    rows = []
    for number in range(count, max(count - 10, 0), -1):
        resp, lines, octets = server.top(number, 0)  # TOP n 0: the headers only
        headers = message_from_bytes(b'\r\n'.join(lines))
        rows.append((number, headers['From'], headers['Subject']))
    server.quit()
    return rows


protocol = sys.argv[1] if len(sys.argv) > 1 else 'imap'
port = int(sys.argv[2]) if len(sys.argv) > 2 else (1143 if protocol == 'imap' else 1110)
rows = imap_subjects(port) if protocol == 'imap' else pop3_subjects(port)
for id_, sender, subject in rows:
    name, address = parseaddr(decoded(sender))
    print('%4d  %-34s  %s' % (id_, name and '%s <%s>' % (name, address) or address, decoded(subject)))
