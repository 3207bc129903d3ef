// Entry point: the styles and the app.
import { render } from "preact";
import { App } from "./app/App";
import "./app/styles.css";

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
