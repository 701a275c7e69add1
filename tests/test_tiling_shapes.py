"""Photos of many sizes meet few distinct network input shapes (bounded per-shape caches)."""
from deblur_app.engine.tiling import SHAPE_STEP, plan_tiles


def test_tile_shapes_are_multiples_of_the_shape_step():
    shapes = set()
    for h in range(1, 2000, 37):
        for w in (1, 5, 333, 1000, 1024, 1500, 4097):
            plan = plan_tiles(h, w, 1024, 64)
            assert plan.tile_h % SHAPE_STEP == 0 and plan.tile_w % SHAPE_STEP == 0
            assert plan.height >= h and plan.width >= w
            shapes.add((plan.tile_h, plan.tile_w))
    assert len(shapes) <= (1024 // SHAPE_STEP) ** 2
    # one size of photo always gives one shape, and a 24-200 px photo one of 7 x 7
    small = {(p.tile_h, p.tile_w) for p in (plan_tiles(h, w, 1024, 64)
                                              for h in range(24, 201) for w in (24, 100, 200))}
    assert len(small) <= 7 * 3
