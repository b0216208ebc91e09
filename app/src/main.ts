/**
 * The reference dApp's entry: reads demo.json (written by scripts/app-seed.ts), connects to the node
 * and routes between the three pages by the URL's hash (`#/verify`, `#/consent`, `#/claims/<id>`).
 */
import { type Chain, connect, loadDemo } from "./chain.ts";
import { isDemoData } from "./demo.ts";
import { errorText, h, show, status } from "./dom.ts";
import { claimsPage } from "./pages/claims.ts";
import { consentPage } from "./pages/consent.ts";
import { verifyPage } from "./pages/verify.ts";

const view = document.getElementById("view")!;
const footer = document.getElementById("footer")!;

function route(chain: Chain): void {
  const [page = "verify", arg] = location.hash.replace(/^#\/?/, "").split("/");
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (page === "consent") show(view, consentPage(chain));
  else if (page === "claims") show(view, claimsPage(chain, arg));
  else show(view, verifyPage(chain));
}

async function start(): Promise<void> {
  let demo: unknown;
  try {
    demo = await loadDemo();
  } catch (error) {
    show(view, status("error", `No demo data (${errorText(error)}): start the app with \`npm run app\`.`));
    return;
  }
  if (!isDemoData(demo)) {
    show(view, status("error", "demo.json is not the app's demo data: run `npm run app` again."));
    return;
  }
  try {
    const chain = await connect(demo);
    const block = await chain.provider.getBlockNumber();
    show(
      footer,
      h(
        "span",
        null,
        `Chain ${demo.chainId} at ${demo.rpcUrl}, block ${block}. The patient's key stays in this browser.`,
      ),
    );
    window.addEventListener("hashchange", () => route(chain));
    route(chain);
  } catch (error) {
    show(view, status("error", `Cannot reach the node at ${demo.rpcUrl}: ${errorText(error)}`));
  }
}

void start();
