"""Tones and their analysis for the phone tests; the stand-in for Twilio's side of a call is
`media.dialer.TwilioCall` (Twilio itself cannot run here).
"""

from __future__ import annotations

import math

import numpy as np

from media.dialer import RATE


def tone(frequency: float, seconds: float, level: float = 0.4) -> bytes:
    """A sine tone as s16 samples at 8 kHz."""
    n = np.arange(int(RATE * seconds))
    wave = level * 32767 * np.sin(2 * math.pi * frequency * n / RATE)
    return wave.astype("<i2").tobytes()


def dominant(samples: bytes, rate: int = RATE) -> float:
    """The strongest frequency of s16 samples (FFT, Hann window)."""
    values = np.frombuffer(samples, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(values * np.hanning(len(values))))
    spectrum[0] = 0.0
    return float(np.fft.rfftfreq(len(values), 1 / rate)[int(np.argmax(spectrum))])


def purity(samples: bytes, frequency: float, rate: int = RATE) -> float:
    """The share of the energy of s16 samples within 30 Hz of `frequency` (1.0: a pure tone)."""
    values = np.frombuffer(samples, dtype="<i2").astype(float)
    power = np.abs(np.fft.rfft(values * np.hanning(len(values)))) ** 2
    near = np.abs(np.fft.rfftfreq(len(values), 1 / rate) - frequency) <= 30
    return float(power[near].sum() / power.sum())


def loudness(samples: bytes) -> float:
    values = np.frombuffer(samples, dtype="<i2").astype(float)
    return float(np.sqrt(np.mean(values**2))) if len(values) else 0.0
