# Lesson 14 in Python, Core Python's way: the mailbox module splits the mbox, the email module
# reads each message. Run from the repository root:
#   python3 lessons/14-spam-forensics/inspect_mbox.py [path/to/file.mbox]
import html as html_module
import ipaddress
import mailbox
import re
import sys
from email.header import decode_header, make_header
from email.utils import parseaddr

path = sys.argv[1] if len(sys.argv) > 1 else 'lessons/14-spam-forensics/inbox.mbox'


def domain_of(name):
    host = name.rpartition('@')[2].strip('<>[] ').lower()
    if '.' not in host or re.fullmatch(r'[\d.]+', host):
        return None
    return '.'.join(host.split('.')[-2:])


def links(msg):
    """(href, shown text) of every <a href> in the HTML parts."""
    found = []
    for part in msg.walk():
        if part.get_content_type() == 'text/html':
            html = part.get_payload(decode=True).decode(part.get_content_charset() or 'utf-8', 'replace')
            for href, text in re.findall(r'<a\s[^>]*?href\s*=\s*["\'](.*?)["\'][^>]*>(.*?)</a\s*>', html, re.I | re.S):
                found.append((href, html_module.unescape(re.sub(r'<[^>]*>', '', text)).strip()))
    return found


def host_kind(href):
    host = href.split('//', 1)[-1].split('/')[0].rpartition('@')[2].split(':')[0]
    if re.fullmatch(r'\d+', host):  # one 32-bit number: ipaddress converts it, like lesson 01
        return 'integer-ip ' + str(ipaddress.IPv4Address(int(host)))
    if re.fullmatch(r'(\d{1,3}\.){3}\d{1,3}', host):
        return 'ip ' + host
    if re.fullmatch(r'[0-9a-fx.]+', host, re.I):
        return 'encoded-ip'
    return 'domain ' + host


box = mailbox.mbox(path, create=False)
print(path, len(box), 'messages')
for number, msg in enumerate(box, 1):
    subject = str(make_header(decode_header(msg['Subject'] or '')))
    from_domain = domain_of(parseaddr(msg['From'] or '')[1])
    return_path = domain_of(msg['Return-Path'] or '')
    msg_id = msg['Message-ID']
    well_formed = bool(msg_id and re.fullmatch(r'<[^<>@\s]+@[^<>@\s]+>', msg_id.strip()))
    mailer = msg['X-Mailer'] or msg['User-Agent']
    warnings = msg.get_all('X-Authentication-Warning', [])
    print(f'{number:>2} {subject[:44]}')
    print(f'     mailer={mailer}  Message-ID ok={well_formed}  From={from_domain}  Return-Path={return_path}'
          + (f'  warnings={len(warnings)}' if warnings else ''))
    for href, text in links(msg):
        print(f'     link {host_kind(href)}  shown {text[:40]!r}')
