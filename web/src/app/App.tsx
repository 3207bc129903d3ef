// The app shell: a landmarked page the chat UI will fill. Kept free of client logic, which
// lives in src/client and src/auth.
export function App() {
  return (
    <main aria-label="Parley">
      <h1>Parley</h1>
      <p>Parley Web is being built. Sign-in and chats arrive in the next increments.</p>
    </main>
  );
}
