"""Real-browser tests: the site served by `observatory serve`, driven in Debian's chromium by Playwright."""
