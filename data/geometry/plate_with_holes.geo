// A plate with two cylindrical through-holes, built with gmsh's OpenCASCADE kernel, with
// named faces for per-part boundary conditions. Units: the plate is 1 x 0.6 x 0.3.
//   holes   the two hole walls (cylinders of radius 0.1 around the axes x = 0.3 and x = 0.7,
//           y = 0.3, parallel to z)
//   top     z = 0.3        bottom  z = 0
//   sides   the four outer walls x = 0, x = 1, y = 0, y = 0.6
// Regenerate the STL (one ASCII solid per physical surface, named as above) with
//   scripts/make_gmsh_part.sh
// which runs: gmsh -2 plate_with_holes.geo -o plate_with_holes.stl
SetFactory("OpenCASCADE");

Lx = 1.0; Ly = 0.6; Lz = 0.3; r = 0.1;
Box(1) = {0, 0, 0, Lx, Ly, Lz};
Cylinder(2) = {0.3, 0.3, -0.1, 0, 0, Lz + 0.2, r};
Cylinder(3) = {0.7, 0.3, -0.1, 0, 0, Lz + 0.2, r};
BooleanDifference(4) = { Volume{1}; Delete; }{ Volume{2, 3}; Delete; };

eps = 1e-6;
top() = Surface In BoundingBox{-eps, -eps, Lz - eps, Lx + eps, Ly + eps, Lz + eps};
bottom() = Surface In BoundingBox{-eps, -eps, -eps, Lx + eps, Ly + eps, eps};
hole_a() = Surface In BoundingBox{0.3 - r - eps, 0.3 - r - eps, -eps, 0.3 + r + eps, 0.3 + r + eps, Lz + eps};
hole_b() = Surface In BoundingBox{0.7 - r - eps, 0.3 - r - eps, -eps, 0.7 + r + eps, 0.3 + r + eps, Lz + eps};
sides() = Surface{:};
sides() -= top();
sides() -= bottom();
sides() -= hole_a();
sides() -= hole_b();

Physical Surface("holes") = {hole_a(), hole_b()};
Physical Surface("top") = {top()};
Physical Surface("bottom") = {bottom()};
Physical Surface("sides") = {sides()};
Physical Volume("plate") = {4};

// Coarse: the importer re-samples the surface. 32 segments around each hole keep the facets
// within r (1 - cos(pi / 32)) = 4.8e-3 r of the cylinder.
Mesh.MeshSizeMax = 0.15;
Mesh.MeshSizeFromCurvature = 32;
Mesh.StlOneSolidPerSurface = 2;  // one solid per physical surface, named by it
Mesh.Binary = 0;                 // ASCII STL (binary STL has no solid names)
