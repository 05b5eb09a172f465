import type { Chain } from './chain.js';

/**
 * The two tron-quickstart (TRE) routes tronweb's own test helpers call, so those tests run against the
 * devnet unchanged: `GET /admin/accounts-json` lists the keys of the accounts funded at genesis
 * (`quickstartAccounts` option) and `POST /tre` with the JSON-RPC method `tre_mine` produces a block.
 */

export interface QuickstartAnswer {
  status: number;
  body: unknown;
}

export function quickstartRoute(
  chain: Chain,
  path: string,
  body: Record<string, unknown>,
): QuickstartAnswer | undefined {
  if (path === '/admin/accounts-json') {
    const privateKeys = chain.quickstart.map((k) => k.privateKey);
    return { status: 200, body: { privateKeys, more: [{ privateKeys }] } };
  }
  if (path === '/tre') {
    const id = body.id ?? null;
    if (body.method !== 'tre_mine') {
      return {
        status: 200,
        body: { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } },
      };
    }
    const [block] = chain.mine(1);
    return { status: 200, body: { jsonrpc: '2.0', id, result: { blockNumber: block?.number } } };
  }
  return undefined;
}

/** Jetty's error page, what java-tron answers for a path no servlet serves. */
export function jettyNotFound(uri: string): string {
  return `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error 404 Not Found</title>\n</head>\n<body><h2>HTTP ERROR 404 Not Found</h2>\n<table>\n<tr><th>URI:</th><td>${uri.replace(/[<>&"]/g, '')}</td></tr>\n<tr><th>STATUS:</th><td>404</td></tr>\n<tr><th>MESSAGE:</th><td>Not Found</td></tr>\n<tr><th>SERVLET:</th><td>-</td></tr>\n</table>\n\n</body>\n</html>\n`;
}
