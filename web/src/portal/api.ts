import type { TadaDocumentNode } from 'gql.tada';
import { ApiError, gql } from '../lib/graphql';

// The portal's session is an HttpOnly cookie the page cannot read. Every GraphQL request also carries the
// x-portal-csrf header with the value of the readable novapay_portal_csrf cookie (a signed double submit):
// another site can make the browser send the cookie, but cannot read it to make the header.

export const CSRF_COOKIE = 'novapay_portal_csrf';
export const CSRF_HEADER = 'x-portal-csrf';

export function csrfToken(): string {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join('='));
  }
  return '';
}

/** A GraphQL call with the portal session; a lost session sends the browser back to the login page. */
export async function adminGql<T, V>(doc: TadaDocumentNode<T, V>, variables: V): Promise<T> {
  try {
    return await gql(doc, variables, { headers: { [CSRF_HEADER]: csrfToken() } });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'invalid_token') {
      window.location.assign('/portal/login?expired=1');
    }
    throw e;
  }
}

export async function logout(): Promise<void> {
  await fetch('/portal/logout', {
    method: 'POST',
    headers: { [CSRF_HEADER]: csrfToken(), 'content-type': 'application/json' },
    body: '{}',
    credentials: 'same-origin',
  }).catch(() => undefined);
  window.location.assign('/portal/login');
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
