import { useEffect, useState } from 'preact/hooks';

type Theme = 'light' | 'dark';
const THEME_KEY = 'conversation-log.theme';

function preferred(): Theme {
  const chosen = localStorage.getItem(THEME_KEY);
  if (chosen === 'light' || chosen === 'dark') return chosen;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The system's light or dark theme until the user picks one; the pick is remembered. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(preferred);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const other: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      aria-label={`Switch to the ${other} theme`}
      onClick={() => {
        localStorage.setItem(THEME_KEY, other);
        setTheme(other);
      }}
    >
      {theme === 'dark' ? 'Light theme' : 'Dark theme'}
    </button>
  );
}
