#!/usr/bin/env python3
# getLatestNNTP.py from Core Python Programming (ch. 17), for Python 3, pointed at the playground.
# Connect, GROUP comp.lang.python, find the latest article, print its From/Subject/Date (XHDR)
# and the first 20 meaningful lines of its body.
#   npm start                                      (NNTP on 127.0.0.1:1119)
#   python3 lessons/13-network-news/get_latest.py  [host [port [group]]]
# nntplib is in Python up to 3.12 (deprecated since 3.11); removed in 3.13: `pip install standard-nntplib`.

import socket
import sys
import warnings

warnings.filterwarnings('ignore', category=DeprecationWarning)  # 3.11, 3.12: "nntplib is deprecated"
try:
    import nntplib
except ModuleNotFoundError:  # Python 3.13 and later
    sys.exit('nntplib was removed in Python 3.13: pip install standard-nntplib')

HOST = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 1119
GRNM = sys.argv[3] if len(sys.argv) > 3 else 'comp.lang.python'
USER = 'me'
PASS = 'secret'


def main():
    try:
        n = nntplib.NNTP(HOST, PORT)
        # n = nntplib.NNTP(HOST, PORT, user=USER, password=PASS)   # a server that wants a login
    except (socket.gaierror, ConnectionError) as e:
        print('ERROR: cannot reach host "%s:%s" (%s) -- is npm start running?' % (HOST, PORT, e))
        return
    except nntplib.NNTPPermanentError as e:
        print('ERROR: access denied on "%s"' % HOST)
        return
    print('*** Connected to host "%s"' % HOST)

    try:
        rsp, ct, fst, lst, grp = n.group(GRNM)
    except nntplib.NNTPTemporaryError as e:
        print('ERROR: cannot load newsgroup "%s" (%s)' % (GRNM, e))
        n.quit()
        return
    print('*** Found newsgroup "%s"' % GRNM)

    rng = '%s-%s' % (lst, lst)
    rsp, frm = n.xhdr('from', rng)
    rsp, sub = n.xhdr('subject', rng)
    rsp, dat = n.xhdr('date', rng)
    print('''*** Found last article (#%s):

    From: %s
    Subject: %s
    Date: %s
''' % (lst, nntplib.decode_header(frm[0][1]), nntplib.decode_header(sub[0][1]), dat[0][1]))

    rsp, info = n.body(lst)
    displayFirst20([line.decode('utf-8', 'replace') for line in info.lines])
    n.quit()


def displayFirst20(data):
    print('*** First (<= 20) meaningful lines:\n')
    count = 0
    lines = (line.rstrip() for line in data)
    lastBlank = True
    for line in lines:
        if line:
            lower = line.lower()
            if (lower.startswith('>') and not lower.startswith('>>>')) or \
               lower.startswith('|') or \
               lower.startswith('in article') or \
               lower.endswith('writes:') or \
               lower.endswith('wrote:'):
                continue
        if not lastBlank or (lastBlank and line):
            print('    %s' % line)
            if line:
                count += 1
                lastBlank = False
            else:
                lastBlank = True
        if count == 20:
            break


if __name__ == '__main__':
    main()
