/**
 * The Deliverect plugin declaring `linePrices` (its POS accepts the prices an order carries), as a
 * POS that lets a menu price items its own way: loaded in place of the bundled one by the Menu V2
 * tests that compose menus priced apart from the POS. Same provider id, same formats.
 */
import deliverect from "../../plugins/deliverect/index.ts"

export default {
  ...deliverect,
  manifest: { ...deliverect.manifest, capabilities: [...deliverect.manifest.capabilities, "linePrices"] }
}
