#!/usr/bin/env python3
"""Writes the example geometries of data/geometry (Python standard library only).

    python3 data/geometry/make_geometry.py      # rewrites the files next to this script

All lengths are millimetres. Every file is deterministic (no random numbers).
  gear_outline.csv   2D closed outline of a 12-tooth spur gear (ordered points, header x,y)
  gear_with_bore.obj 2D gear outline plus a round bore, as two OBJ `l` loops (z = 0)
  naca0012.csv       2D NACA 0012 airfoil, chord 100 mm, closed trailing edge (x,y)
  hex_nut.stl        3D closed surface, binary STL: M10-like hex nut (hexagon across flats
                     17.3 mm, bore 10 mm, height 8 mm); sharp edges and a curved bore
  torus.obj          3D closed surface: torus R = 30 mm, r = 10 mm, 64 x 32 vertices
  peanut_cloud.xyz   3D boundary point cloud WITHOUT normals (2000 points, x y z per line)
                     on the peanut-shaped surface r(u) = 20 (0.7 + 0.6 u_x^2) mm around the
                     origin (u the unit direction): 52 mm long, 28 mm across the concave waist
"""
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def gear_points(teeth=12, r_root=17.0, r_tip=20.0, per_tooth=24):
    """Trapezoidal teeth: root arc, flank, tip arc, flank; counter-clockwise."""
    pts = []
    for k in range(teeth):
        a0 = 2 * math.pi * k / teeth
        pitch = 2 * math.pi / teeth
        # fractions of the pitch: root 0-0.35, rise 0.35-0.45, tip 0.45-0.8, fall 0.8-0.9, root
        for j in range(per_tooth):
            f = j / per_tooth
            if f < 0.35 or f >= 0.9:
                r = r_root
            elif f < 0.45:
                r = r_root + (r_tip - r_root) * (f - 0.35) / 0.10
            elif f < 0.8:
                r = r_tip
            else:
                r = r_tip - (r_tip - r_root) * (f - 0.8) / 0.10
            a = a0 + f * pitch
            pts.append((r * math.cos(a), r * math.sin(a)))
    return pts


def write_gear():
    pts = gear_points()
    with open(os.path.join(HERE, "gear_outline.csv"), "w") as f:
        f.write("x,y\n")
        for x, y in pts:
            f.write(f"{x:.9g},{y:.9g}\n")
    with open(os.path.join(HERE, "gear_with_bore.obj"), "w") as f:
        f.write("# 12-tooth gear outline with a 10 mm bore (mm); two closed loops\n")
        for x, y in pts:
            f.write(f"v {x:.9g} {y:.9g} 0\n")
        nb = 48
        for i in range(nb):
            a = 2 * math.pi * i / nb
            f.write(f"v {5 * math.cos(a):.9g} {5 * math.sin(a):.9g} 0\n")
        n = len(pts)
        f.write("l " + " ".join(str(i + 1) for i in range(n)) + " 1\n")
        f.write("l " + " ".join(str(n + i + 1) for i in range(nb)) + f" {n + 1}\n")


def write_naca(chord=100.0, t=0.12, n=100):
    def yt(x):  # closed trailing edge coefficient -0.1036
        return 5 * t * (0.2969 * math.sqrt(x) - 0.1260 * x - 0.3516 * x**2 + 0.2843 * x**3
                        - 0.1036 * x**4)
    # cosine spacing; upper surface from TE to LE, lower from LE back (counter-clockwise)
    xs = [0.5 * (1 - math.cos(math.pi * i / n)) for i in range(n + 1)]
    pts = [(x, yt(x)) for x in reversed(xs)]          # TE (1,0) ... LE (0,0)
    pts += [(x, -yt(x)) for x in xs[1:-1]]            # lower surface, skip LE and TE repeats
    with open(os.path.join(HERE, "naca0012.csv"), "w") as f:
        f.write("x,y\n")
        for x, y in pts:
            f.write(f"{chord * x:.9g},{chord * y:.9g}\n")


def write_binary_stl(path, tris):
    with open(path, "wb") as f:
        f.write(b"dtpinn example: hex nut (mm)".ljust(80, b" "))
        f.write(struct.pack("<I", len(tris)))
        for a, b, c in tris:
            u = [b[i] - a[i] for i in range(3)]
            v = [c[i] - a[i] for i in range(3)]
            n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
            ln = math.sqrt(sum(x * x for x in n)) or 1.0
            f.write(struct.pack("<3f", *[x / ln for x in n]))
            for p in (a, b, c):
                f.write(struct.pack("<3f", *p))
            f.write(struct.pack("<H", 0))


def write_hex_nut(r_hex=10.0, r_bore=5.0, height=8.0, per_side=8):
    """Outer hexagon ring (each side split into per_side pieces) and bore circle with the same
    number of points at matching angles; top/bottom annuli as quad strips; outward faces."""
    m = 6 * per_side
    outer, inner = [], []
    for k in range(6):
        p0 = (r_hex * math.cos(math.pi * k / 3), r_hex * math.sin(math.pi * k / 3))
        p1 = (r_hex * math.cos(math.pi * (k + 1) / 3), r_hex * math.sin(math.pi * (k + 1) / 3))
        for j in range(per_side):
            s = j / per_side
            outer.append((p0[0] + s * (p1[0] - p0[0]), p0[1] + s * (p1[1] - p0[1])))
    for p in outer:
        a = math.atan2(p[1], p[0])
        inner.append((r_bore * math.cos(a), r_bore * math.sin(a)))
    z0, z1 = 0.0, height
    tris = []
    for i in range(m):
        j = (i + 1) % m
        o0b, o1b = (*outer[i], z0), (*outer[j], z0)
        o0t, o1t = (*outer[i], z1), (*outer[j], z1)
        i0b, i1b = (*inner[i], z0), (*inner[j], z0)
        i0t, i1t = (*inner[i], z1), (*inner[j], z1)
        tris += [(o0b, o1b, o1t), (o0b, o1t, o0t)]      # outer wall, normal away from the axis
        tris += [(i0b, i1t, i1b), (i0b, i0t, i1t)]      # bore wall, normal towards the axis
        tris += [(o0t, o1t, i1t), (o0t, i1t, i0t)]      # top annulus, normal +z
        tris += [(o0b, i1b, o1b), (o0b, i0b, i1b)]      # bottom annulus, normal -z
    write_binary_stl(os.path.join(HERE, "hex_nut.stl"), tris)


def write_torus(R=30.0, r=10.0, nu=64, nv=32):
    with open(os.path.join(HERE, "torus.obj"), "w") as f:
        f.write(f"# torus R = {R} mm, r = {r} mm, {nu} x {nv} vertices, outward faces\n")
        for i in range(nu):
            for j in range(nv):
                u, w = 2 * math.pi * i / nu, 2 * math.pi * j / nv
                x = (R + r * math.cos(w)) * math.cos(u)
                y = (R + r * math.cos(w)) * math.sin(u)
                z = r * math.sin(w)
                f.write(f"v {x:.7g} {y:.7g} {z:.7g}\n")
        for i in range(nu):
            for j in range(nv):
                a = i * nv + j + 1
                b = ((i + 1) % nu) * nv + j + 1
                c = ((i + 1) % nu) * nv + (j + 1) % nv + 1
                d = i * nv + (j + 1) % nv + 1
                f.write(f"f {a} {b} {c} {d}\n")   # quads: fan-triangulated by the reader


def peanut_radius(ux, uy, uz):
    """Star-shaped peanut: elongated along x with a concave waist at x = 0 (mm)."""
    return 20.0 * (0.7 + 0.6 * ux * ux)


def write_peanut(n=2000):
    golden = math.pi * (3 - math.sqrt(5))
    with open(os.path.join(HERE, "peanut_cloud.xyz"), "w") as f:
        f.write("# peanut-shaped boundary point cloud (mm), no normals: x y z\n")
        for i in range(n):
            z = 1 - (2 * i + 1) / n
            rho = math.sqrt(max(0.0, 1 - z * z))
            ux, uy, uz = rho * math.cos(golden * i), rho * math.sin(golden * i), z
            r = peanut_radius(ux, uy, uz)
            f.write(f"{r * ux:.6f} {r * uy:.6f} {r * uz:.6f}\n")


if __name__ == "__main__":
    write_gear()
    write_naca()
    write_hex_nut()
    write_torus()
    write_peanut()
