import { defineConfig } from "tsup";

// The page's script: one self-contained browser bundle the handler serves from dist/ui.
export default defineConfig({
  entry: { app: "ui/app.ts" },
  outDir: "dist/ui",
  format: ["iife"],
  platform: "browser",
  target: "es2020",
  minify: true,
  noExternal: [/.*/],
  dts: false,
  clean: false,
});
