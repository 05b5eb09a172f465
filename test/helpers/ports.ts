/**
 * A port for a server a test starts, picked at random below Linux's ephemeral range (32768–60999 by
 * default), where the kernel never assigns one on its own: an outgoing connection's local port or a
 * `listen(0)` (the embedded PostgreSQL, a devnet) took ports that random picks in 41000–53000 then found
 * in use. Servers and test files still pick independently, so the range is wide.
 */
export function testPort(): number {
  return 20_000 + Math.floor(Math.random() * 11_000); // + 1,000 (a second server) stays below 32768
}
