ALTER ROLE nuanxin_app RESET jit;
