/* The village's 360° scenes: turns the page's flat picture into a Pannellum viewer (served by sixtcap from
 * node_modules/pannellum, never from a CDN), with the stands and the ways to other scenes as links that are
 * always labelled (touch has no hover). Without JavaScript the page shows the picture and the same links
 * as lists. The config comes from the page: <script type="application/json" id="scene-config">. */
(() => {
  "use strict";
  const box = document.getElementById("panorama");
  const source = document.getElementById("scene-config");
  if (!box || !source || !window.pannellum) return;
  const scene = JSON.parse(source.textContent);

  const label = (div, spot) => {
    div.classList.add("sixtcap-spot");
    const tag = document.createElement("span");
    tag.className = `spot ${spot.kind}`;
    tag.textContent = spot.label;
    div.append(tag);
  };

  box.hidden = false;
  document.getElementById("aide-vue").hidden = false;
  document.documentElement.classList.add("has-viewer");
  const viewer = window.pannellum.viewer(box, {
    type: "equirectangular",
    panorama: scene.panorama,
    autoLoad: true,
    showFullscreenCtrl: true,
    orientationOnByDefault: false, // the compass button turns the gyroscope on where the phone allows it
    mouseZoom: false, // the page scrolls with the wheel; + and - zoom
    keyboardZoom: true,
    compass: false,
    hfov: 100,
    strings: {
      loadButtonLabel: "Cliquer pour charger<br>la vue",
      loadingLabel: "Chargement…",
      bylineLabel: "par %s",
      noPanoramaError: "Pas d'image pour cette vue.",
      fileAccessError: "L'image %s n'a pas pu être chargée.",
      malformedURLError: "L'adresse de l'image est incorrecte.",
      iOS8WebGLError: "Le navigateur ne peut pas afficher la vue à 360°.",
      genericWebGLError: "Le navigateur ne peut pas afficher la vue à 360° : regarde la vue à plat plus bas.",
      textureSizeError: "L'image est trop grande pour cet appareil.",
      unknownError: "Erreur inconnue.",
    },
    hotSpots: scene.hotspots.map((spot) => ({
      pitch: spot.pitch,
      yaw: spot.yaw,
      URL: spot.url,
      attributes: { title: spot.label }, // given attributes: the link opens here, not in a new tab
      createTooltipFunc: label,
      createTooltipArgs: spot,
    })),
  });
  window.sixtcapViewer = viewer; // for the console and the browser tests
  viewer.on("error", () => { // no WebGL: back to the flat picture
    box.hidden = true;
    document.documentElement.classList.remove("has-viewer");
  });
})();
