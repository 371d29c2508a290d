#!/usr/bin/env python3
'myMail.py -- SMTP and POP3 round trip (Core Python Programming, ch. 17), pointed at the playground'
# Changed from the book: the servers, ports and accounts (the playground's), a login before
# sending (every real provider wants one), bytes for Python 3, and sleep(1) instead of sleep(10):
# the playground delivers at once. Ports can be given: python3 my_mail.py 2525 1110
import sys
from smtplib import SMTP
from poplib import POP3
from time import sleep

SMTPSVR = '127.0.0.1'
POP3SVR = '127.0.0.1'
SMTPPORT = int(sys.argv[1]) if len(sys.argv) > 1 else 2525
POP3PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 1110

who = 'me@example.com'
origHdrs = ['From: %s' % who, 'To: %s' % who, 'Subject: test msg']
origBody = ['xxx', 'yyy', 'zzz']
origMsg = '\r\n\r\n'.join(['\r\n'.join(origHdrs), '\r\n'.join(origBody)])

sendSvr = SMTP(SMTPSVR, SMTPPORT)
sendSvr.login(who, 'secret')
errs = sendSvr.sendmail(who, [who], origMsg)
sendSvr.quit()
assert len(errs) == 0, errs
sleep(1)    # wait for mail to be delivered

recvSvr = POP3(POP3SVR, POP3PORT)
recvSvr.user(who)
recvSvr.pass_('secret')
rsp, msg, siz = recvSvr.retr(recvSvr.stat()[0])
# strip headers and compare to orig msg
sep = msg.index(b'')
recvBody = msg[sep+1:]
assert [line.encode() for line in origBody] == recvBody # assert identical
recvSvr.quit()
print('headers received:')
for line in msg[:sep]:
    print('   ', line.decode())
print('body received:', recvBody)
print('round trip OK: the body arrived unchanged')
