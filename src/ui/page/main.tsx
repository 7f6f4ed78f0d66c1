import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { SearchPage } from './SearchPage.js';
import { TracePage } from './TracePage.js';

/** Moves to `href` within the page (history API), without a reload. */
export function navigate(href: string): void {
  history.pushState(null, '', href);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** Follows same-page links without a reload; modified clicks keep the browser's behaviour. */
export function onLinkClick(event: MouseEvent): void {
  const a = (event.target as Element).closest('a');
  if (a === null || a.hasAttribute('download') || a.target || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}

function App() {
  const [where, setWhere] = useState(() => location.pathname + location.search);
  useEffect(() => {
    const update = () => setWhere(location.pathname + location.search);
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  const url = new URL(where, location.origin);
  const trace = /^\/trace\/([^/]+)$/.exec(url.pathname);
  return (
    <div class="app" onClick={onLinkClick}>
      <header class="top">
        <a href="/" class="brand">
          tracepipe
        </a>
        <span class="subtitle">trace viewer</span>
      </header>
      {trace !== null ? (
        <TracePage key={trace[1]} traceId={decodeURIComponent(trace[1]!)} spanId={url.searchParams.get('span') ?? undefined} />
      ) : (
        <SearchPage search={url.search} />
      )}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
