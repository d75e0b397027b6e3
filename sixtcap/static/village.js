/* The village's 360° scenes: turns the page's flat picture into a Pannellum viewer (served by sixtcap from
 * node_modules/pannellum, never from a CDN), with the stands and the ways to other scenes as links that are
 * always labelled (touch has no hover). A scene with an equirectangular video shows its still first (no
 * video is downloaded unasked); "Lancer la vidéo à 360°" plays the video as the viewer's texture (Pannellum's
 * dynamic mode), at the same angle, with the same links. Without JavaScript the page shows the picture, the
 * video flat and the same links as lists. The config comes from the page:
 * <script type="application/json" id="scene-config">. */
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

  const settings = {
    type: "equirectangular",
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
  };

  const noViewer = () => { // no WebGL: back to the flat picture (and the flat video)
    box.hidden = true;
    document.documentElement.classList.remove("has-viewer");
    const bar = document.getElementById("video-360");
    if (bar) bar.hidden = true;
  };

  const labelControls = () => { // Pannellum's buttons are divs: give them French names and the keyboard
    const names = {
      "pnlm-zoom-in": "Zoomer",
      "pnlm-zoom-out": "Dézoomer",
      "pnlm-fullscreen-toggle-button": "Plein écran",
      "pnlm-orientation-button": "Suivre les mouvements du téléphone",
    };
    for (const [name, text] of Object.entries(names)) {
      for (const control of box.getElementsByClassName(name)) {
        control.setAttribute("role", "button");
        control.setAttribute("tabindex", "0");
        control.setAttribute("aria-label", text);
        control.title = text;
        control.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            event.stopPropagation(); // not also a key for the viewer
            control.click();
          }
        });
      }
    }
  };

  const show = (panorama, extra = {}) => {
    const viewer = window.pannellum.viewer(box, { ...settings, panorama, ...extra });
    viewer.on("error", noViewer);
    labelControls();
    window.sixtcapViewer = viewer; // for the console and the browser tests
    return viewer;
  };

  box.hidden = false;
  document.getElementById("aide-vue").hidden = false;
  document.documentElement.classList.add("has-viewer");
  let viewer = show(scene.panorama);
  if (scene.video) playable(scene.video);

  /* The video's controls: play or pause it in the viewer, sound on or off. */
  function playable(url) {
    const bar = document.getElementById("video-360");
    const play = document.getElementById("video-lecture");
    const sound = document.getElementById("video-son");
    const state = document.getElementById("video-etat");
    bar.hidden = false;
    let video = null;

    const start = () => {
      video = document.createElement("video");
      if (new URL(url, location.href).origin !== location.origin) video.crossOrigin = "anonymous"; // a texture
      video.muted = true; // sound is one tap away: the youth may be on the bus
      video.loop = true;
      video.playsInline = true;
      video.setAttribute("playsinline", "");
      video.preload = "auto";
      video.hidden = true;
      video.src = url;
      bar.append(video);
      let shown = false;
      video.addEventListener("playing", () => {
        if (!shown) { // the video replaces the still picture, at the same angle
          shown = true;
          const at = { yaw: viewer.getYaw(), pitch: viewer.getPitch(), hfov: viewer.getHfov() };
          const focused = box.contains(document.activeElement);
          viewer.destroy();
          viewer = show(video, { ...at, dynamic: true, dynamicUpdate: true });
          if (focused) box.focus();
          sound.hidden = false;
        }
        viewer.setUpdate(true);
        play.textContent = "Mettre la vidéo en pause";
        state.textContent = "";
      });
      video.addEventListener("pause", () => {
        if (shown) viewer.setUpdate(false);
        play.textContent = "Reprendre la vidéo";
      });
      video.addEventListener("error", () => {
        state.textContent = "La vidéo n'a pas pu être lue : la vue reste en photo.";
        play.hidden = true;
        sound.hidden = true;
      });
      state.textContent = "Chargement de la vidéo…";
    };

    play.addEventListener("click", () => {
      if (!video) start();
      if (video.paused) {
        video.play().catch(() => { state.textContent = "Touche encore le bouton pour lancer la vidéo."; });
      } else {
        video.pause();
      }
    });
    sound.addEventListener("click", () => {
      video.muted = !video.muted;
      sound.textContent = video.muted ? "Activer le son" : "Couper le son";
    });
  }
})();
