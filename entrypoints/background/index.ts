// WXT background entrypoint: wires the service worker, nothing else.
import { defineBackground } from 'wxt/utils/define-background';
import { startBackground } from '@/src/background/main';

export default defineBackground({
  type: 'module',
  main: startBackground,
});
