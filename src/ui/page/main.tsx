import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onLinkClick } from './navigate.js';
import { SearchPage } from './SearchPage.js';
import { TracePage } from './TracePage.js';

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
