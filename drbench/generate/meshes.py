"""Procedural geometry: closed primitives accumulated into one Blender mesh.

Every object of a scene (a whole car included) is one mesh built from parts, each
part tagged with a material slot, so one object gets one index in the object-index
pass and one set of projected vertices for its box.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import bmesh
import bpy
import numpy as np


def _rotation(axis: str) -> np.ndarray:
    """Rotation taking +Z onto ``axis`` (for primitives built along Z)."""
    if axis == "Z":
        return np.eye(3)
    if axis == "X":
        return np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]])
    if axis == "Y":
        return np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
    raise ValueError(f"axis must be X, Y or Z, got {axis!r}")


def extent(mesh: bpy.types.Mesh) -> np.ndarray:
    """Size of a mesh's bounding box along x, y, z (object space)."""
    coords = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", coords)
    coords = coords.reshape(-1, 3)
    return coords.max(axis=0) - coords.min(axis=0)


class MeshBuilder:
    """Accumulates parts into one bmesh, then becomes one object."""

    def __init__(self) -> None:
        self.bm = bmesh.new()

    def polyhedron(
        self,
        verts: np.ndarray | Sequence[Sequence[float]],
        faces: Sequence[Sequence[int]],
        material: int,
        bevel: float = 0.0,
        segments: int = 1,
        smooth: bool = False,
    ) -> list:
        """Add a closed part; ``bevel`` rounds all its edges. Returns its faces."""
        bm = self.bm
        new_verts = [bm.verts.new(tuple(map(float, v))) for v in np.asarray(verts, float).tolist()]
        part_faces = [bm.faces.new([new_verts[i] for i in face]) for face in faces]
        bmesh.ops.recalc_face_normals(bm, faces=part_faces)
        created = part_faces
        if bevel > 0:
            edges = list(dict.fromkeys(edge for face in part_faces for edge in face.edges))
            result = bmesh.ops.bevel(
                bm, geom=new_verts + edges, offset=bevel, segments=segments,
                affect="EDGES", profile=0.5, clamp_overlap=True,
            )
            # the faces touching the part's vertices (old and new): parts are separate pieces, so
            # that is exactly the part; not a scan of every face of the mesh (that made building
            # a car quadratic in its number of parts)
            touched = [v for v in new_verts if v.is_valid] + list(result["verts"])
            created = list(dict.fromkeys(face for vert in touched for face in vert.link_faces))
        for face in created:
            face.material_index = material
            face.smooth = smooth
        return created

    def box(self, centre, size, material: int, bevel: float = 0.0, segments: int = 1) -> list:
        half = np.asarray(size, float) / 2
        corners = np.array([[x, y, z] for z in (-1, 1) for y in (-1, 1) for x in (-1, 1)], float)
        faces = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (1, 3, 7, 5), (3, 2, 6, 7), (2, 0, 4, 6)]
        return self.polyhedron(corners * half + centre, faces, material, bevel, segments)

    def prism(self, profile_xz, y_half: float, material: int, bevel: float = 0.0, segments: int = 1) -> list:
        """A convex side profile (x, z), counter-clockwise seen from +y, extruded over ±y_half."""
        profile = np.asarray(profile_xz, float)
        n = len(profile)
        verts = [(x, -y_half, z) for x, z in profile] + [(x, y_half, z) for x, z in profile]
        faces = [tuple(range(n)), tuple(range(2 * n - 1, n - 1, -1))]
        faces += [(i, (i + 1) % n, n + (i + 1) % n, n + i) for i in range(n)]
        return self.polyhedron(verts, faces, material, bevel, segments)

    def frustum(self, bottom, top, material: int, bevel: float = 0.0, segments: int = 1) -> list:
        """A hexahedron from a bottom and a top quad (each 4 points, counter-clockwise from above)."""
        verts = list(bottom) + list(top)
        faces = [(3, 2, 1, 0), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
        return self.polyhedron(verts, faces, material, bevel, segments)

    def cylinder(
        self, centre, radius: float, depth: float, material: int, axis: str = "Z",
        radius_top: float | None = None, segments: int = 16, smooth: bool = False,
    ) -> list:
        """A capped cylinder along ``axis``; ``radius_top=0`` makes a cone."""
        top_r = radius if radius_top is None else radius_top
        angles = np.linspace(0, 2 * math.pi, segments, endpoint=False)
        ring = np.stack([np.cos(angles), np.sin(angles), np.zeros(segments)], axis=1)
        bottom = ring * [radius, radius, 1] + [0, 0, -depth / 2]
        if top_r > 0:
            verts = np.vstack([bottom, ring * [top_r, top_r, 1] + [0, 0, depth / 2]])
            faces = [tuple(range(segments - 1, -1, -1)), tuple(range(segments, 2 * segments))]
            faces += [(i, (i + 1) % segments, segments + (i + 1) % segments, segments + i)
                      for i in range(segments)]
        else:
            verts = np.vstack([bottom, [[0, 0, depth / 2]]])
            faces = [tuple(range(segments - 1, -1, -1))]
            faces += [(i, (i + 1) % segments, segments) for i in range(segments)]
        verts = verts @ _rotation(axis).T + centre
        return self.polyhedron(verts, faces, material, smooth=smooth)

    def sphere(self, centre, radius: float, material: int, segments: int = 16, rings: int = 8) -> list:
        theta = np.linspace(0, math.pi, rings + 1)[1:-1]
        phi = np.linspace(0, 2 * math.pi, segments, endpoint=False)
        grid = np.array([[math.sin(t) * math.cos(p), math.sin(t) * math.sin(p), math.cos(t)]
                         for t in theta for p in phi])
        verts = np.vstack([[[0, 0, 1]], grid, [[0, 0, -1]]]) * radius + centre
        south = len(verts) - 1
        faces = [(0, 1 + i, 1 + (i + 1) % segments) for i in range(segments)]
        for r in range(rings - 2):
            a, b = 1 + r * segments, 1 + (r + 1) * segments
            faces += [(a + i, b + i, b + (i + 1) % segments, a + (i + 1) % segments)
                      for i in range(segments)]
        last = 1 + (rings - 2) * segments
        faces += [(last + (i + 1) % segments, last + i, south) for i in range(segments)]
        return self.polyhedron(verts, faces, material, smooth=True)

    def torus(self, centre, major: float, minor: float, material: int, segments: int = 16, sides: int = 8) -> list:
        u = np.linspace(0, 2 * math.pi, segments, endpoint=False)
        v = np.linspace(0, 2 * math.pi, sides, endpoint=False)
        verts = np.array([[(major + minor * math.cos(b)) * math.cos(a),
                           (major + minor * math.cos(b)) * math.sin(a),
                           minor * math.sin(b)] for a in u for b in v]) + centre
        faces = [(i * sides + j, ((i + 1) % segments) * sides + j,
                  ((i + 1) % segments) * sides + (j + 1) % sides, i * sides + (j + 1) % sides)
                 for i in range(segments) for j in range(sides)]
        return self.polyhedron(verts, faces, material, smooth=True)

    def arch(self, centre, radius: float, y: float, material: int, segments: int = 10) -> list:
        """A flat half-disc (upper half plus a little) in the plane y=const: a wheel arch seen from the side."""
        angles = np.linspace(-0.25, math.pi + 0.25, segments)
        cx, cz = centre
        verts = [(cx, y, cz)] + [(cx + radius * math.cos(a), y, cz + radius * math.sin(a)) for a in angles]
        faces = [(0, i + 1, i) for i in range(1, segments)]
        return self.polyhedron(verts, faces, material)

    def to_object(self, name: str, materials: Sequence[bpy.types.Material], collection) -> bpy.types.Object:
        """Turn the accumulated parts into one linked object with ``materials`` as its slots."""
        mesh = bpy.data.meshes.new(name)
        self.bm.to_mesh(mesh)
        self.bm.free()
        for material in materials:
            mesh.materials.append(material)
        obj = bpy.data.objects.new(name, mesh)
        collection.objects.link(obj)
        return obj


class UnitParts:
    """Many scaled and moved copies of a few unit parts gathered into one mesh with numpy.

    For scenes of thousands of parts (a tree line is a thousand foliage blobs), where
    MeshBuilder's one bmesh call per vertex and face would cost a third of a second an image.
    Each part's topology (outward faces) is taken once from MeshBuilder.
    """

    def __init__(self) -> None:
        self.coords, self.loops, self.sizes, self.slots, self.smooth = [], [], [], [], []
        self.vertex_count = 0

    @staticmethod
    @functools.cache
    def _unit(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vertices, flat face loops, face sizes) of a unit ``sphere``, ``cylinder`` or ``cone``
        (radius 1, height 1 along z, centred on the origin)."""
        builder = MeshBuilder()
        if kind == "sphere":
            builder.sphere((0.0, 0.0, 0.0), 1.0, 0, segments=10, rings=6)
        elif kind == "cylinder":
            builder.cylinder((0.0, 0.0, 0.0), 1.0, 1.0, 0, segments=8)
        elif kind == "cone":
            builder.cylinder((0.0, 0.0, 0.0), 1.0, 1.0, 0, radius_top=0.0, segments=10)
        else:
            raise ValueError(f"unknown unit part {kind!r} (known: sphere, cylinder, cone)")
        bm = builder.bm
        bm.verts.index_update()
        coords = np.array([tuple(v.co) for v in bm.verts])
        faces = [[v.index for v in face.verts] for face in bm.faces]
        bm.free()
        return coords, np.concatenate(faces), np.array([len(f) for f in faces])

    def add(self, kind: str, centre, scale, material: int, smooth: bool = False) -> None:
        """A unit ``kind`` scaled by ``scale`` (x, y, z) and moved to ``centre``."""
        coords, loops, sizes = self._unit(kind)
        self.coords.append(coords * np.asarray(scale, float) + np.asarray(centre, float))
        self.loops.append(loops + self.vertex_count)
        self.sizes.append(sizes)
        self.slots.append(np.full(len(sizes), material))
        self.smooth.append(np.full(len(sizes), smooth))
        self.vertex_count += len(coords)

    def __len__(self) -> int:
        return len(self.coords)

    def to_object(self, name: str, materials: Sequence[bpy.types.Material], collection) -> bpy.types.Object:
        mesh = bpy.data.meshes.new(name)
        coords, loops, sizes = np.concatenate(self.coords), np.concatenate(self.loops), np.concatenate(self.sizes)
        mesh.vertices.add(len(coords))
        mesh.vertices.foreach_set("co", coords.astype(np.float32).ravel())
        mesh.loops.add(len(loops))
        mesh.loops.foreach_set("vertex_index", loops.astype(np.int32))
        mesh.polygons.add(len(sizes))
        mesh.polygons.foreach_set("loop_start", (np.cumsum(sizes) - sizes).astype(np.int32))
        mesh.polygons.foreach_set("material_index", np.concatenate(self.slots).astype(np.int32))
        mesh.polygons.foreach_set("use_smooth", np.concatenate(self.smooth))
        mesh.update(calc_edges=True)
        for material in materials:
            mesh.materials.append(material)
        obj = bpy.data.objects.new(name, mesh)
        collection.objects.link(obj)
        return obj
