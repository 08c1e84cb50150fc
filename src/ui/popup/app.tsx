/**
 * The popup's root component. For now it shows the background's status; conversations, chat and
 * settings grow from here.
 */
import { useEffect, useState } from 'preact/hooks';
import type { BackgroundStatus } from '../../messaging/popup-protocol.js';
import { callBackground } from '../../messaging/popup-client.js';
import { XmtpError } from '../../protocol/errors.js';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly status: BackgroundStatus }
  | { readonly kind: 'error'; readonly error: XmtpError };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    callBackground('app.status', {})
      .then((status) => setState({ kind: 'ready', status }))
      .catch((e: unknown) => setState({ kind: 'error', error: XmtpError.from(e) }));
  }, []);

  return (
    <main class="popup">
      <h1>XMTP Messenger</h1>
      {state.kind === 'loading' && <p data-testid="status-loading">Connecting to the background…</p>}
      {state.kind === 'error' && (
        <p role="alert" data-testid="status-error">
          The background is not answering ({state.error.code}): {state.error.message}
        </p>
      )}
      {state.kind === 'ready' && <StatusView status={state.status} />}
    </main>
  );
}

function StatusView({ status }: { readonly status: BackgroundStatus }) {
  return (
    <section data-testid="status">
      <p data-testid="status-ready">Background ready · version {status.extensionVersion}</p>
      <dl>
        <dt>Speaks</dt>
        <dd data-testid="status-services">{status.services.join(', ')}</dd>
        <dt>Compatible with</dt>
        <dd data-testid="status-compat">{status.compatibleWith}</dd>
        <dt>Worker instance</dt>
        <dd data-testid="status-instance">{status.instanceId}</dd>
        <dt>Running since</dt>
        <dd data-testid="status-started">{new Date(status.startedAt).toLocaleTimeString()}</dd>
      </dl>
    </section>
  );
}
