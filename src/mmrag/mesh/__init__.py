"""3D models: read a mesh, describe its shape, render views of it.

- :mod:`.io` reads ``.ply .obj .stl .glb .gltf .off`` with trimesh and refuses bad meshes
  with a named reason (empty, malformed, too many faces, non-finite coordinates);
- :mod:`.stats` measures it (vertices, faces, extents, area, volume when closed);
- :mod:`.descriptor` computes a rotation- and scale-invariant shape descriptor (D2 shape
  distribution of Osada et al. with centroid-distance, angle and PCA terms) for 3D->3D search;
- :mod:`.render` draws a few flat-shaded views with a numpy z-buffer (headless, no GL), which
  the image path classifies and embeds so that text and photos find the model.

trimesh is imported on first use only.
"""

from __future__ import annotations

MESH_EXTENSIONS: tuple[str, ...] = (".ply", ".obj", ".stl", ".glb", ".gltf", ".off")
