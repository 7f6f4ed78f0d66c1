import type { Envelope } from './model.js';

/** GETs one of the viewer's API endpoints; an error answer throws with its message. */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => undefined)) as Envelope<T> | undefined;
  if (!res.ok) throw new Error(body?.errors?.[0]?.msg ?? `${path}: HTTP ${res.status}`);
  return body as T;
}

export async function getData<T>(path: string): Promise<T> {
  return (await getJson<Envelope<T>>(path)).data;
}
