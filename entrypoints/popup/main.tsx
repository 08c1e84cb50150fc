// WXT popup entrypoint: mounts the Preact app, nothing else.
import { render } from 'preact';
import { App } from '@/src/ui/popup/app';

const root = document.getElementById('app');
if (root) render(<App />, root);
