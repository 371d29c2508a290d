# Core Python Programming, exercise 17-21: "an IMAP client with imaplib", against the playground.
# The same session as examples/imap-by-hand.ts: log in, list the folders, open INBOX, search,
# fetch the From and Subject of every message (decoded), read one message, log out.
#   python3 lessons/15-imap-by-hand/imap_client.py [port] [uid]      (defaults: 1143, 1)
# Nothing is marked \Seen: every FETCH uses BODY.PEEK.
import email
import imaplib
import sys
from email.header import decode_header, make_header

HOST = '127.0.0.1'
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 1143
UID = sys.argv[2] if len(sys.argv) > 2 else '1'

M = imaplib.IMAP4(HOST, PORT)            # imaplib.IMAP4_SSL(HOST, 9930, ssl_context=…) for IMAPS
print(M.welcome.decode())
M.login('friend@example.org', 'secret')  # imaplib quotes the password (not the user name: no spaces in it)

typ, folders = M.list()                  # [b'(\\HasNoChildren) "." INBOX', …]
print('Folders:', ', '.join(f.decode().split(' "." ')[1] for f in folders))

typ, data = M.select('INBOX')            # data: [b'5'], the EXISTS count
print('INBOX holds %s messages, UIDVALIDITY %s, UIDNEXT %s' % (
    data[0].decode(), M.response('UIDVALIDITY')[1][0].decode(), M.response('UIDNEXT')[1][0].decode()))

typ, data = M.uid('SEARCH', None, 'FROM', '"me@example.com"')
print('UID SEARCH FROM "me@example.com":', data[0].decode())

# A literal comes back as a tuple: (b'1 (UID 1 BODY[HEADER.FIELDS (FROM SUBJECT)] {78}', b'From: …')
typ, data = M.uid('FETCH', '1:*', '(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])')
for item in data:
    if isinstance(item, tuple):
        uid = item[0].decode().split('UID ')[1].split(' ')[0]
        headers = email.message_from_bytes(item[1])
        print('  UID %s  %s — %s' % (uid, make_header(decode_header(headers['From'])),
                                 make_header(decode_header(headers['Subject']))))

typ, data = M.uid('FETCH', UID, '(BODY.PEEK[])')
if data[0] is None:
    print('There is no message with UID %s' % UID)
else:
    raw = data[0][1]                     # the literal: exact bytes, CRLF line endings
    print('The message with UID %s is %d bytes; its first line: %s' % (UID, len(raw), raw.split(b'\r\n')[0].decode()))

M.logout()
