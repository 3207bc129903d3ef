// Entry point: mounts the app shell. The UI proper comes in later increments.
import { render } from "preact";
import { App } from "./app/App";

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
