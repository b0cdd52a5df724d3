"""The hotels the setup script knows: what to create in Channex for each (pure data).

Duke Beach (pms-contract §1) and the Channex certification test property (contract §8.1).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from middleware.channex.setup import HotelPlan, RatePlanSpec, RoomSpec

# categoria, nome, unidades, adults, default rate (BRL; the full ARI sync sets the real rates)
DUKE_BEACH_ROOMS = (
    ("lvu", "Lateral Vista Urbana", 11, 2, "450.00"),
    ("dlvu", "De Luxe Vista Urbana", 2, 2, "600.00"),
    ("dlvl", "De Luxe Vista Lateral", 2, 2, "650.00"),
    ("lvl", "Lateral Vista Lateral", 11, 2, "500.00"),
    ("ov", "Ocean View", 5, 3, "800.00"),
    ("ovp", "Ocean View Premier", 2, 3, "1000.00"),
)
# contract §8.1: Twin + Double (occupancy 2), BAR (100) and B&B (120) on each
CERTIFICATION_ROOMS = (("twin", "Twin Room"), ("double", "Double Room"))
CERTIFICATION_PLANS = (
    ("bar", "Best Available Rate", "100.00", None),
    ("bb", "Bed & Breakfast", "120.00", "breakfast"),
)


def duke_beach_plan(title: str = "Duke Beach") -> HotelPlan:
    rooms = tuple(
        RoomSpec(
            code=code,
            title=name,
            units=units,
            occ_adults=adults,
            occ_children=1,
            occ_infants=1,
            default_occupancy=2,
            rate_plans=(
                RatePlanSpec(code="padrao", title=f"{name} - Padrão", default_rate=Decimal(rate)),
            ),
        )
        for code, name, units, adults, rate in DUKE_BEACH_ROOMS
    )
    return HotelPlan(title=title, currency="BRL", timezone="America/Sao_Paulo", rooms=rooms)


def certification_plan(title: str = "Test Property - Middleware") -> HotelPlan:
    rooms = tuple(
        RoomSpec(
            code=code,
            title=name,
            units=10,
            occ_adults=2,
            occ_children=0,
            occ_infants=0,
            default_occupancy=2,
            rate_plans=tuple(
                RatePlanSpec(
                    code=plan_code,
                    title=f"{name} - {plan_title}",
                    default_rate=Decimal(rate),
                    meal_type=meal,
                )
                for plan_code, plan_title, rate, meal in CERTIFICATION_PLANS
            ),
        )
        for code, name in CERTIFICATION_ROOMS
    )
    return HotelPlan(title=title, currency="USD", timezone="America/Sao_Paulo", rooms=rooms)


HOTELS: dict[str, Callable[..., HotelPlan]] = {
    "duke_beach": duke_beach_plan,
    "certification": certification_plan,
}
