/**
 * Loopback addresses (127.0.0.0/8, ::1, localhost) never leave this machine: nobody else can
 * connect to a server listening there, and nothing sent there crosses a network. That is why
 * the playground allows passwords in clear text on loopback, and asks for TLS first anywhere else.
 */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
