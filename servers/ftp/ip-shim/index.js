// ftp-srv asks one question of the 'ip' package: are these two addresses the
// same host? (It guards active and passive data connections with it.) A client
// may appear as "127.0.0.1" on one socket and "::ffff:127.0.0.1" on another,
// so both are reduced to a canonical form before comparing.
'use strict';
const net = require('node:net');

function canonical(address) {
  const text = String(address).trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (mapped) return mapped[1];
  if (net.isIPv6(text)) {
    // Expand "::" so that "::1" and "0:0:0:0:0:0:0:1" compare equal.
    const [head, tail = ''] = text.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const middle = text.includes('::') ? new Array(8 - left.length - right.length).fill('0') : [];
    return [...left, ...middle, ...right].map((group) => parseInt(group, 16).toString(16)).join(':');
  }
  return text;
}

exports.isEqual = function isEqual(a, b) {
  return canonical(a) === canonical(b);
};
